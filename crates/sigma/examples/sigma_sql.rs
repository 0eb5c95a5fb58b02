//! Prints the SQL of every rule under a folder (or of the built-in rules without one), and why
//! the others were not compiled: `cargo run -p eastwest-sigma --example sigma_sql [DIR]`.

fn main() {
    let (compiled, problems) = match std::env::args().nth(1) {
        Some(dir) => eastwest_sigma::load_dir(dir.as_ref(), &eastwest_sigma::Mappings::builtin()),
        None => eastwest_sigma::builtin(),
    };
    for c in &compiled {
        println!(
            "{} [{}] {}\n  SELECT * FROM {} WHERE {}\n",
            c.id, c.level, c.title, c.table, c.condition_sql
        );
    }
    for p in &problems {
        println!("{p}");
    }
    eprintln!("{} compiled, {} not", compiled.len(), problems.len());
}
