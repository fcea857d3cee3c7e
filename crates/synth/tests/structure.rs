//! Structure of the generated twin: Table 1 anchors, group sizes, encodings, determinism, scaling.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use robocarb_synth::{generate, SynthConfig, TwinProcess};

fn gen(config: &SynthConfig) -> (tempfile::TempDir, robocarb_synth::SynthSummary) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let s = generate(config, tmp.path()).expect("generate");
    (tmp, s)
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).expect("utf-8 file")
}

/// Minimal RFC 4180 split (quoted fields may hold commas).
fn split(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("field").push(c),
        }
    }
    out
}

/// The repository root (the crate's manifest folder is `crates/synth`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The paper's published figures, as the report crate embeds them.
fn published() -> toml::Table {
    let path = repo_root().join("crates/report/data/published_tables.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn ifr_file_aggregates_exactly_to_table1_at_the_anchor_years() {
    let (dir, _) = gen(&SynthConfig::default());
    let conc: Vec<Vec<String>> = read(dir.path(), "ifr/ifr_gbt_concordance.csv")
        .lines()
        .skip(1)
        .map(split)
        .collect();
    let mut group_stock: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for line in read(dir.path(), "ifr/ifr_operational_stock_china.csv")
        .lines()
        .skip(1)
    {
        let f = split(line);
        let year: i32 = f[3].parse().expect("year");
        let class = if year <= 2011 { "gbt2002" } else { "gbt2011" };
        let group = conc
            .iter()
            .find(|c| c[0] == f[1] && c[2] == class)
            .map(|c| c[3].clone())
            .expect("concordance row");
        *group_stock.entry((group, year)).or_default() += f[4].parse::<i64>().expect("stock");
    }
    // Against the paper's Table 1 as transcribed in the repository; the generator's constants must
    // be the same numbers.
    let table = published();
    let mut checked = 0;
    for (class, year, constant_groups, constant_values) in [
        (
            "gbt2002",
            2006,
            robocarb_synth::ifr::GBT2002_GROUPS.to_vec(),
            robocarb_synth::ifr::TABLE1_2006.to_vec(),
        ),
        (
            "gbt2002",
            2011,
            robocarb_synth::ifr::GBT2002_GROUPS.to_vec(),
            robocarb_synth::ifr::TABLE1_2011.to_vec(),
        ),
        (
            "gbt2011",
            2012,
            robocarb_synth::ifr::GBT2011_GROUPS.to_vec(),
            robocarb_synth::ifr::TABLE1_2012.to_vec(),
        ),
        (
            "gbt2011",
            2019,
            robocarb_synth::ifr::GBT2011_GROUPS.to_vec(),
            robocarb_synth::ifr::TABLE1_2019.to_vec(),
        ),
    ] {
        let t = &table["table1"][class];
        let groups: Vec<String> = t["industries"]
            .as_array()
            .expect("industries")
            .iter()
            .map(|v| v.as_str().expect("str").to_string())
            .collect();
        let values: Vec<i64> = t[&format!("y{year}")]
            .as_array()
            .expect("values")
            .iter()
            .map(|v| v.as_integer().expect("int"))
            .collect();
        assert_eq!(groups, constant_groups, "{class} industries");
        assert_eq!(values, constant_values, "{class} {year}");
        assert_eq!(groups.len(), values.len());
        for (g, v) in groups.iter().zip(values) {
            assert_eq!(group_stock[&(g.clone(), year)], v, "{g} {year}");
            checked += 1;
        }
    }
    assert_eq!(checked, 13 + 13 + 14 + 14);
}

#[test]
fn group_sizes_match_the_paper() {
    let (dir, s) = gen(&SynthConfig::default());
    assert_eq!(
        (
            s.cities,
            s.provinces,
            s.resource_based,
            s.smart_city_pilots,
            s.plan_cities,
            s.gov_business_high
        ),
        (274, 30, 109, 32, 9, 137)
    );
    let cities: Vec<Vec<String>> = read(dir.path(), "admin/cities.csv")
        .lines()
        .skip(1)
        .map(split)
        .collect();
    assert_eq!(cities.len(), 274);
    let provinces: std::collections::BTreeSet<&String> = cities.iter().map(|c| &c[3]).collect();
    assert_eq!(provinces.len(), 30);
    assert!(!provinces
        .iter()
        .any(|p| ["54", "71", "81", "82"].contains(&p.as_str())));
    let resource: Vec<Vec<String>> = read(dir.path(), "attributes/resource_based_cities_2013.csv")
        .lines()
        .skip(1)
        .map(split)
        .collect();
    let n_res = cities
        .iter()
        .filter(|c| {
            resource
                .iter()
                .any(|r| r[0] == c[1] && r[1] == "prefecture")
        })
        .count();
    assert_eq!(n_res, 109);
    assert_eq!(
        read(dir.path(), "attributes/smart_city_pilots_2012.csv")
            .lines()
            .count(),
        33
    );
    let plan = read(dir.path(), "attributes/municipalities_plan_cities.csv");
    assert_eq!(plan.lines().count(), 10);
    for code in [
        "110100", "120100", "310100", "500100", "210200", "370200", "330200", "350200", "440300",
    ] {
        assert!(plan.contains(code), "{code}");
    }
    // the resource list is the real one (the project's copy in data/real), verbatim
    let real = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/real/resource-cities/resource_based_cities_2013.csv"),
    )
    .expect("read data/real/resource-cities/resource_based_cities_2013.csv");
    assert_eq!(
        std::fs::read(dir.path().join("attributes/resource_based_cities_2013.csv")).expect("read"),
        real
    );
}

#[test]
fn yearbook_is_gbk_not_utf8_and_has_missing_cells_inside_spans_only() {
    let (dir, _) = gen(&SynthConfig::default());
    let bytes = std::fs::read(dir.path().join("yearbook/city_yearbook.csv")).expect("read");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "must not be valid UTF-8"
    );
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    let mut lines = text.lines();
    let header = split(lines.next().expect("header"));
    assert_eq!(header[0], "城市代码");
    assert_eq!(header.len(), 24);
    let rows: Vec<Vec<String>> = lines.map(split).collect();
    assert_eq!(rows.len(), 274 * 14);
    let empty = rows
        .iter()
        .flat_map(|r| r[3..].iter())
        .filter(|v| v.is_empty())
        .count();
    let share = empty as f64 / (rows.len() * 21) as f64;
    assert!((0.01..0.05).contains(&share), "missing share {share}");
    for r in &rows {
        if r[2] == "2006" || r[2] == "2019" {
            assert!(
                r[3..].iter().all(|v| !v.is_empty()),
                "missing at a span end: {r:?}"
            );
        }
    }
    assert!(rows.iter().any(|r| r[1] == "襄樊市" && r[2] == "2009"));
    assert!(rows.iter().any(|r| r[1] == "襄阳市" && r[2] == "2010"));
}

#[test]
fn output_is_byte_identical_across_runs_and_seed_sensitive() {
    let config = SynthConfig {
        cities: 40,
        years: (2006, 2012),
        ..SynthConfig::default()
    };
    let (a, sa) = gen(&config);
    let (b, _) = gen(&config);
    for rel in &sa.files {
        let x = std::fs::read(a.path().join(rel)).expect("a");
        let y = std::fs::read(b.path().join(rel)).expect("b");
        assert!(x == y, "{} differs between runs", rel.display());
    }
    let (c, _) = gen(&SynthConfig { seed: 7, ..config });
    let x = std::fs::read(a.path().join("ceads/City_CO2_Emission_Inventories.xlsx")).expect("a");
    let z = std::fs::read(c.path().join("ceads/City_CO2_Emission_Inventories.xlsx")).expect("c");
    assert_ne!(x, z);
}

#[test]
fn scales_to_county_sized_units_and_30_years() {
    let (dir, s) = gen(&SynthConfig {
        cities: 2850,
        years: (1990, 2019),
        ..SynthConfig::default()
    });
    assert_eq!(s.cities, 2850);
    let cities = read(dir.path(), "admin/cities.csv");
    assert_eq!(cities.lines().count(), 2851);
    let codes: std::collections::BTreeSet<&str> = cities.lines().skip(1).map(|l| &l[..6]).collect();
    assert_eq!(codes.len(), 2850, "codes must be unique");
    assert_eq!(
        read(dir.path(), "firms/robot_firms.csv").lines().count(),
        2850 * 30 + 1
    );
    assert!(s.robot_mean.is_finite() && s.robot_mean > 0.0);
}

#[test]
fn rejects_bad_configs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    assert!(generate(
        &SynthConfig {
            cities: 0,
            ..SynthConfig::default()
        },
        tmp.path()
    )
    .is_err());
    assert!(generate(
        &SynthConfig {
            years: (2019, 2006),
            ..SynthConfig::default()
        },
        tmp.path()
    )
    .is_err());
    for process in [
        TwinProcess {
            rho_eps: 1.0,
            ..TwinProcess::default()
        },
        TwinProcess {
            rho_eps: f64::NAN,
            ..TwinProcess::default()
        },
        TwinProcess {
            slope_heterogeneity: -0.5,
            ..TwinProcess::default()
        },
        TwinProcess {
            robot_effect: -1.0,
            ..TwinProcess::default()
        },
        TwinProcess {
            robot_effect: f64::INFINITY,
            ..TwinProcess::default()
        },
    ] {
        let err = generate(
            &SynthConfig {
                process,
                ..SynthConfig::default()
            },
            tmp.path(),
        )
        .expect_err("invalid process accepted");
        assert!(err.to_string().contains("invalid configuration"), "{err}");
    }
}

/// The well-specified process writes its parameters into truth.toml (no AR, no slope shifts)
/// and keeps the total effect; only the CO2 series change, the other sources are the same bytes.
#[test]
fn well_specified_process_is_recorded_and_changes_only_co2() {
    let base = SynthConfig {
        cities: 30,
        years: (2006, 2011),
        ..SynthConfig::default()
    };
    let (a, sa) = gen(&base);
    let (b, _) = gen(&SynthConfig {
        process: TwinProcess::well_specified(),
        ..base.clone()
    });
    let truth: toml::Table = read(b.path(), "truth.toml").parse().expect("truth parses");
    assert_eq!(truth["carbon"]["rho_eps"].as_float(), Some(0.0));
    assert_eq!(truth["carbon"]["beta_total"].as_float(), Some(-0.025));
    for shift in ["resource_based", "smart_city_pilot", "gov_business_low"] {
        assert_eq!(
            truth["heterogeneity"][shift].as_float(),
            Some(0.0),
            "{shift}"
        );
    }
    assert_eq!(
        changed_files(a.path(), b.path(), &sa.files),
        ["ceads/City_CO2_Emission_Inventories.xlsx", "truth.toml"],
        "files changed by the process"
    );
}

/// The files (of `files`, sorted) whose bytes differ between the twins in `a` and `b`.
fn changed_files(a: &Path, b: &Path, files: &[PathBuf]) -> Vec<String> {
    let mut changed: Vec<String> = files
        .iter()
        .filter(|rel| {
            std::fs::read(a.join(rel)).expect("a") != std::fs::read(b.join(rel)).expect("b")
        })
        .map(|rel| rel.display().to_string())
        .collect();
    changed.sort();
    changed
}

/// Two-way demeaned values of a balanced city-major panel.
fn two_way_demean(x: &[f64], n: usize, nt: usize) -> Vec<f64> {
    let grand = x.iter().sum::<f64>() / x.len() as f64;
    let city: Vec<f64> = (0..n)
        .map(|i| x[i * nt..(i + 1) * nt].iter().sum::<f64>() / nt as f64)
        .collect();
    let year: Vec<f64> = (0..nt)
        .map(|t| (0..n).map(|i| x[i * nt + t]).sum::<f64>() / n as f64)
        .collect();
    (0..x.len())
        .map(|k| x[k] - city[k / nt] - year[k % nt] + grand)
        .collect()
}

/// With no effect of robots, ln CO2 net of city and year means is exactly the AR(1) noise net
/// of its city and year means (the noise is redrawn here from its stream): no other variable,
/// ROBOT, the mediators or the controls, moves CO2 within a city, so ROBOT's coefficient is zero
/// in expectation in every two-way FE specification with any controls. With the default effect
/// it is not. Only the CO2 workbook and truth.toml change.
#[test]
fn no_robot_effect_leaves_only_noise_within_cities() {
    use rand_distr::{Distribution, StandardNormal};
    let base = SynthConfig {
        cities: 30,
        years: (2006, 2011),
        ..SynthConfig::default()
    };
    let null = SynthConfig {
        process: TwinProcess::default().without_robot_effect(),
        ..base.clone()
    };
    let within_minus_noise = |config: &SynthConfig| -> f64 {
        let g = robocarb_synth::generate_panel(config).expect("generate");
        let (n, nt) = (g.cities.len(), g.years.len());
        let ln_co2: Vec<f64> = g.co2_mt.iter().map(|v| (v * 1e6).ln()).collect();
        let mut r = robocarb_synth::panel::stream(config.seed, 9);
        let mut eps = vec![0.0; n * nt];
        for i in 0..n {
            let mut e = 0.0;
            for t in 0..nt {
                let z: f64 = StandardNormal.sample(&mut r);
                let innovation = g.truth.sd_eps_innovation * z;
                e = if t == 0 {
                    innovation / (1.0 - g.truth.rho_eps.powi(2)).sqrt()
                } else {
                    g.truth.rho_eps * e + innovation
                };
                eps[i * nt + t] = e;
            }
        }
        two_way_demean(&ln_co2, n, nt)
            .iter()
            .zip(two_way_demean(&eps, n, nt))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    };
    assert!(
        within_minus_noise(&null) < 1e-9,
        "{}",
        within_minus_noise(&null)
    );
    assert!(
        within_minus_noise(&base) > 1e-3,
        "{}",
        within_minus_noise(&base)
    );

    let (a, sa) = gen(&base);
    let (b, _) = gen(&null);
    let truth: toml::Table = read(b.path(), "truth.toml").parse().expect("truth parses");
    assert_eq!(truth["carbon"]["robot_effect"].as_float(), Some(0.0));
    for key in ["beta_total", "beta_direct_base", "indirect"] {
        assert_eq!(truth["carbon"][key].as_float(), Some(0.0), "{key}");
    }
    for m in ["DI", "IU", "TP"] {
        assert_eq!(truth["mediators"][m]["b"].as_float(), Some(0.0), "{m}");
    }
    assert!(!read(a.path(), "truth.toml").contains("robot_effect"));
    assert_eq!(
        changed_files(a.path(), b.path(), &sa.files),
        ["ceads/City_CO2_Emission_Inventories.xlsx", "truth.toml"],
        "files changed by the robot effect"
    );
}

#[test]
fn tiny_configs_work_and_truth_is_valid_toml() {
    for (cities, years) in [(1, (2018, 2019)), (3, (1980, 1982))] {
        let (dir, s) = gen(&SynthConfig {
            cities,
            years,
            ..SynthConfig::default()
        });
        assert_eq!(s.cities, cities);
        let truth: toml::Table = read(dir.path(), "truth.toml")
            .parse()
            .expect("truth.toml parses");
        assert_eq!(truth["carbon"]["beta_total"].as_float(), Some(-0.025));
        assert_eq!(truth["seed"].as_integer(), Some(20240401));
    }
}
