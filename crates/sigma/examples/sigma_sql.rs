//! Prints the SQL of every rule under a folder (or of the built-in rules without one), and why
//! the others were not compiled:
//! `cargo run -p eastwest-sigma --example sigma_sql -- [--json] [DIR]`.
//! With `--json`, one line per rule: `{"rule", "table", "sql"}` or `{"rule", "unsupported"}`
//! (what tests/sigma/run_eastwest_sql.py reads).

fn json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let as_json = args.iter().any(|a| a == "--json");
    let (compiled, problems) = match args.iter().find(|a| *a != "--json") {
        Some(dir) => eastwest_sigma::load_dir(dir.as_ref(), &eastwest_sigma::Mappings::builtin()),
        None => eastwest_sigma::builtin(),
    };
    for c in &compiled {
        if as_json {
            println!(
                "{{\"rule\": {}, \"table\": {}, \"sql\": {}}}",
                json(&c.id),
                json(&c.table),
                json(&c.condition_sql)
            );
        } else {
            println!(
                "{} [{}] {}\n  SELECT * FROM {} WHERE {}\n",
                c.id, c.level, c.title, c.table, c.condition_sql
            );
        }
    }
    for p in &problems {
        if as_json {
            let id = std::path::Path::new(&p.path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            println!(
                "{{\"rule\": {}, \"unsupported\": {}}}",
                json(&id),
                json(&p.reason)
            );
        } else {
            println!("{p}");
        }
    }
    eprintln!("{} compiled, {} not", compiled.len(), problems.len());
}
