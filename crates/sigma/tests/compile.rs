//! The compiler's output on representative rules, its refusals, and its robustness on arbitrary
//! input.

use eastwest_sigma::{Level, Mappings, builtin, compile, load_dir};
use proptest::prelude::*;

fn rule(logsource: &str, detection: &str) -> String {
    format!("title: T\nid: r1\nlogsource: {logsource}\ndetection:\n{detection}")
}

const CT: &str = "{product: aws, service: cloudtrail}";
const PROC: &str = "{product: linux, category: process_creation}";

fn sql(logsource: &str, detection: &str) -> String {
    match compile("t.yml", &rule(logsource, detection), &Mappings::builtin()) {
        Ok(c) => c.condition_sql,
        Err(e) => panic!("{e}"),
    }
}

fn refusal(logsource: &str, detection: &str) -> String {
    match compile("t.yml", &rule(logsource, detection), &Mappings::builtin()) {
        Ok(c) => panic!("compiled: {}", c.condition_sql),
        Err(e) => e.reason,
    }
}

#[test]
fn every_builtin_rule_compiles() {
    let (compiled, problems) = builtin();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(compiled.len(), eastwest_sigma::BUILTIN_RULES.len());
    let mut ids: Vec<&str> = compiled.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), compiled.len(), "rule ids are unique");
    for c in &compiled {
        assert!(!c.attack.is_empty(), "{} has ATT&CK techniques", c.path);
        assert!(c.attack.iter().all(|t| t.starts_with('T')));
        assert!(!c.description.is_empty());
        assert!(["cloudtrail", "process"].contains(&c.table.as_str()));
    }
}

#[test]
fn metadata() {
    let text = "title: Meta\nid: abc\nstatus: test\ndescription: d\nlevel: critical\nauthor: me\n\
                tags: [attack.lateral-movement, attack.t1021.004]\nreferences: [https://x]\n\
                falsepositives: [admins]\nlogsource: {product: aws, service: cloudtrail}\n\
                detection: {sel: {eventName: X}, condition: sel}\n";
    let c = compile("m.yml", text, &Mappings::builtin()).unwrap();
    assert_eq!(c.id, "abc");
    assert_eq!(c.level, Level::Critical);
    assert_eq!(c.attack, vec!["T1021.004"]);
    assert_eq!(c.tactics, vec!["lateral-movement"]);
    assert_eq!(c.references, vec!["https://x"]);
    assert_eq!(c.falsepositives, vec!["admins"]);
    assert_eq!(c.status.as_deref(), Some("test"));
    // Without an id, the file name stands in.
    let c = compile(
        "dir/no_id.yml",
        &text.replace("id: abc\n", ""),
        &Mappings::builtin(),
    );
    assert_eq!(c.unwrap().id, "no_id");
}

#[test]
fn values_and_modifiers() {
    assert_eq!(
        sql(CT, "  sel:\n    eventName: 'Get*Data?'\n  condition: sel\n"),
        "coalesce(event_name ILIKE 'Get%Data_', false)"
    );
    // Escaped wildcards are literal; LIKE's own wildcards are escaped.
    assert_eq!(
        sql(
            CT,
            "  sel:\n    userAgent|contains: 'a\\*b_c%'\n  condition: sel\n"
        ),
        r"coalesce(user_agent ILIKE '%a*b\_c\%%', false)"
    );
    assert_eq!(
        sql(
            CT,
            "  sel:\n    userAgent|contains|all: [x, \"it's\"]\n  condition: sel\n"
        ),
        "coalesce((user_agent ILIKE '%x%' AND user_agent ILIKE '%it''s%'), false)"
    );
    assert_eq!(
        sql(
            CT,
            "  sel:\n    userAgent|re: '^aws-cli/[0-9]'\n  condition: sel\n"
        ),
        "coalesce(regexp_like(user_agent, '^aws-cli/[0-9]'), false)"
    );
    assert_eq!(
        sql(CT, "  sel:\n    userAgent|re|i: 'boto'\n  condition: sel\n"),
        "coalesce(regexp_like(user_agent, '(?i)boto'), false)"
    );
    assert_eq!(
        sql(
            CT,
            "  sel:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: sel\n"
        ),
        "coalesce(source_ip LIKE '10.%', false)"
    );
    assert_eq!(
        sql(CT, "  sel:\n    errorCode: null\n  condition: sel\n"),
        "coalesce(error_code IS NULL, false)"
    );
    assert_eq!(
        sql(
            CT,
            "  sel:\n    errorCode|exists: false\n  condition: sel\n"
        ),
        "(error_code IS NULL)"
    );
    assert_eq!(
        sql(CT, "  sel:\n    readOnly: false\n  condition: sel\n"),
        "coalesce(read_only = false, false)"
    );
    assert_eq!(
        sql(
            CT,
            "  sel:\n    eventName|cased: StopLogging\n  condition: sel\n"
        ),
        "coalesce(event_name = 'StopLogging', false)"
    );
    assert_eq!(
        sql(
            "{product: linux, service: auditd}",
            "  sel:\n    uid|lt: 1000\n    pid: 5\n  condition: sel\n"
        ),
        "(coalesce(uid < 1000, false) AND coalesce(pid = 5, false))"
    );
    assert_eq!(
        sql(
            "{category: dns}",
            "  sel:\n    query|endswith: .ngrok.io\n    answer: 1.2.3.4\n  condition: sel\n"
        ),
        "(coalesce(rtrim(query_name, '.') ILIKE '%.ngrok.io', false) AND \
         coalesce((' ' || array_to_string(answers, ' ') || ' ') ILIKE '% 1.2.3.4 %', false))"
    );
}

#[test]
fn conditions() {
    let det = "  sel_a:\n    Image: /bin/a\n  sel_b:\n    Image: /bin/b\n  _x:\n    User: root\n";
    let a = "coalesce(lower(exe) = '/bin/a', false)";
    let b = "coalesce(lower(exe) = '/bin/b', false)";
    let x = "coalesce(lower(uid_name) = 'root', false)";
    assert_eq!(
        sql(PROC, &format!("{det}  condition: 1 of sel_* and not _x\n")),
        format!("(({a} OR {b}) AND (NOT {x}))")
    );
    assert_eq!(
        sql(PROC, &format!("{det}  condition: all of them\n")),
        format!("({a} AND {b})")
    );
    assert_eq!(
        sql(PROC, &format!("{det}  condition: sel_a or sel_b and _x\n")),
        format!("({a} OR ({b} AND {x}))")
    );
    assert_eq!(
        sql(PROC, &format!("{det}  condition: [sel_a, sel_b]\n")),
        format!("({a} OR {b})")
    );
    // A list of maps is an OR of ANDs.
    assert_eq!(
        sql(
            PROC,
            "  sel:\n    - Image: /bin/a\n      User: root\n    - Image: /bin/b\n  condition: sel\n"
        ),
        format!("(({a} AND {x}) OR {b})")
    );
    // Keywords search the mapping's keyword column, anywhere in it.
    assert_eq!(
        sql(PROC, "  kw:\n    - 'nc -e'\n  condition: kw\n"),
        "coalesce(command_line ILIKE '%nc -e%', false)"
    );
}

#[test]
fn refusals() {
    let r = refusal(
        CT,
        "  sel:\n    eventName|base64offset|contains: x\n  condition: sel\n",
    );
    assert!(r.contains("`base64offset`"), "{r}");
    let r = refusal(CT, "  sel:\n    eventName|windash: x\n  condition: sel\n");
    assert!(r.contains("`windash`"), "{r}");
    let r = refusal(CT, "  sel:\n    nonsense.field: x\n  condition: sel\n");
    assert!(r.contains("`nonsense.field`"), "{r}");
    let r = refusal(
        CT,
        "  sel:\n    eventName: x\n  condition: sel | count() by sourceIPAddress > 5\n",
    );
    assert!(r.contains("aggregation"), "{r}");
    let r = refusal(CT, "  sel:\n    eventName: x\n  condition: sel and other\n");
    assert!(r.contains("`other`"), "{r}");
    let r = refusal(CT, "  kw: [x]\n  condition: kw\n");
    assert!(r.contains("keyword"), "{r}");
    let r = refusal(
        CT,
        "  sel:\n    userAgent|re: '(?<=x)y'\n  condition: sel\n",
    );
    assert!(r.contains("regular expression"), "{r}");
    let r = refusal(
        CT,
        "  sel:\n    sourceIPAddress|cidr: 'fe80::/10'\n  condition: sel\n",
    );
    assert!(r.contains("cidr"), "{r}");
    let r = refusal(
        "{product: windows, category: process_creation}",
        "  sel:\n    Image: x\n  condition: sel\n",
    );
    assert_eq!(
        r,
        "no mapping for logsource product=windows category=process_creation"
    );

    let bad = compile("broken.yml", "title: [unclosed\n", &Mappings::builtin()).unwrap_err();
    assert!(bad.invalid);
    assert!(
        bad.to_string().starts_with("broken.yml: invalid rule"),
        "{bad}"
    );
    let multi = compile(
        "m.yml",
        "action: global\ntitle: x\n---\ntitle: y\n",
        &Mappings::builtin(),
    );
    assert!(!multi.unwrap_err().invalid);
}

#[test]
fn user_mappings() {
    let m = Mappings::from_toml(
        "[[mapping]]\nname = \"x\"\ntable = \"events\"\nlogsource = { product = \"acme\" }\n\
         [mapping.fields]\nuser = \"actor\"\n",
    )
    .unwrap();
    let c = compile(
        "a.yml",
        &rule(
            "{product: acme}",
            "  sel:\n    user: bob\n  condition: sel\n",
        ),
        &m,
    )
    .unwrap();
    assert_eq!(c.table, "events");
    assert_eq!(c.condition_sql, "coalesce(lower(actor) = 'bob', false)");
    assert!(Mappings::from_toml("[[mapping]]\nname = 1\n").is_err());
}

#[test]
fn load_dir_goes_on_past_bad_files() {
    let dir = std::env::temp_dir().join(format!("eastwest-sigma-{}", std::process::id()));
    let sub = dir.join("nested");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        dir.join("a.yml"),
        rule(CT, "  sel:\n    eventName: x\n  condition: sel\n"),
    )
    .unwrap();
    std::fs::write(dir.join("b.yaml"), "::: not yaml [").unwrap();
    std::fs::write(
        sub.join("c.yml"),
        rule("{product: windows}", "  sel:\n    a: x\n  condition: sel\n"),
    )
    .unwrap();
    std::fs::write(dir.join("ignored.txt"), "x").unwrap();
    let (ok, bad) = load_dir(&dir, &Mappings::builtin());
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(ok.len(), 1);
    assert_eq!(bad.len(), 2);
    assert!(bad[0].path.ends_with("b.yaml") && bad[0].invalid);
    assert!(
        bad[1]
            .reason
            .starts_with("no mapping for logsource product=windows")
    );
}

#[test]
fn limits() {
    let big = format!(
        "title: x\ndescription: '{}'\n",
        "a".repeat(eastwest_sigma::MAX_RULE_BYTES)
    );
    assert!(
        compile("big.yml", &big, &Mappings::builtin())
            .unwrap_err()
            .invalid
    );
    let deep = format!("title: x\nlogsource: {}\n", "[".repeat(100_000));
    assert!(compile("deep.yml", &deep, &Mappings::builtin()).is_err());
    // A condition repeating a large search many times stays bounded.
    let values: String = (0..2000).map(|i| format!("      - v{i}\n")).collect();
    let cond = vec!["sel"; 900].join(" and ");
    let text = rule(
        CT,
        &format!("  sel:\n    eventName:\n{values}  condition: {cond}\n"),
    );
    let r = compile("wide.yml", &text, &Mappings::builtin()).unwrap_err();
    assert!(r.reason.contains("exceed"), "{}", r.reason);
}

/// Fragments that make near-valid rules when glued together at random.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("title: x\n".to_string()),
        Just("logsource: {product: aws, service: cloudtrail}\n".to_string()),
        Just("logsource: {product: linux, category: process_creation}\n".to_string()),
        Just("detection:\n".to_string()),
        Just("  sel:\n".to_string()),
        Just("  kw: [a, 'b*', null]\n".to_string()),
        Just("    eventName|contains|all: [a, b]\n".to_string()),
        Just("    Image|re: '(a|b)+'\n".to_string()),
        Just("    - CommandLine: x\n".to_string()),
        Just("    sourceIPAddress|cidr: 172.16.0.0/12\n".to_string()),
        Just("  condition: ".to_string()),
        Just("sel and not (kw or 1 of s*)\n".to_string()),
        Just("all of them | count() > 1\n".to_string()),
        "[ -~]{0,30}\n",
        "[(){}\\[\\]:|*?\\\\'\" \n-]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let _ = compile("p.yml", &text, &Mappings::builtin());
    }

    #[test]
    fn never_panics_on_near_valid_rules(parts in proptest::collection::vec(fragment(), 0..16)) {
        let text = parts.concat();
        if let Ok(c) = compile("p.yml", &text, &Mappings::builtin()) {
            prop_assert!(!c.condition_sql.is_empty());
        }
    }

    #[test]
    fn never_panics_on_conditions(cond in "[a-z_1*() |]{0,80}") {
        let text = rule(CT, &format!(
            "  sel_a:\n    eventName: x\n  sel_b:\n    eventName: y\n  condition: '{cond}'\n"
        ));
        let _ = compile("p.yml", &text, &Mappings::builtin());
    }
}

#[test]
fn a_long_value_list_is_a_shallow_tree() {
    // SigmaHQ lists a thousand tool names in one rule; a flat chain of ORs that deep overflows
    // the query planner's stack.
    let mut rule = String::from(
        "title: many\nlogsource: {product: linux, category: process_creation}\ndetection:\n  sel:\n    Image|endswith:\n",
    );
    for i in 0..2000 {
        rule.push_str(&format!("      - '/tool{i}'\n"));
    }
    rule.push_str("  condition: sel\n");
    let compiled = eastwest_sigma::compile("many.yml", &rule, &eastwest_sigma::Mappings::builtin())
        .expect("compiles");
    let (mut depth, mut deepest) = (0i32, 0i32);
    for c in compiled.condition_sql.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth -= 1,
            _ => {}
        }
    }
    assert!(deepest <= 20, "nested {deepest} deep");
    assert_eq!(compiled.condition_sql.matches("/tool").count(), 2000);
}
