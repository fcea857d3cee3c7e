//! Generate the twin: `cargo run -p robocarb-synth --example generate -- OUT_DIR [SEED] [CITIES] [A B]`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .ok_or("usage: generate OUT_DIR [SEED] [CITIES] [A B]")?;
    let mut config = robocarb_synth::SynthConfig::default();
    if let Some(s) = args.get(2) {
        config.seed = s.parse()?;
    }
    if let Some(c) = args.get(3) {
        config.cities = c.parse()?;
    }
    if let (Some(a), Some(b)) = (args.get(4), args.get(5)) {
        config.years = (a.parse()?, b.parse()?);
    }
    let summary = robocarb_synth::generate(&config, std::path::Path::new(out))?;
    println!("{summary:#?}");
    Ok(())
}
