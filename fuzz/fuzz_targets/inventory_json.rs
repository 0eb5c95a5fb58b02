//! Fuzzes the inventory: any bytes as one AWS CLI JSON file must load or be refused with a
//! problem, never a panic; what loads must resolve into assets and go through every posture
//! check and the blast radius without a panic or a hang.
#![no_main]

use std::path::Path;

use eastwest_inventory::load::{LoadReport, add_json};
use eastwest_inventory::{Inventory, Origin, Resolver};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut inventory = Inventory::default();
    let mut report = LoadReport::default();
    add_json(&mut inventory, &mut report, Path::new("fuzz.json"), data, &Origin::default());
    inventory.finish();
    let resolver = Resolver::new(&inventory);
    let results = eastwest_posture::audit(&inventory, &eastwest_posture::Config::default(), &[]);
    for result in &results {
        let _ = eastwest_posture::to_finding(result, 0);
    }
    if !resolver.assets().is_empty() {
        let _ = eastwest_posture::paths::blast_radius(&inventory, &resolver, &[0], 2);
    }
});
