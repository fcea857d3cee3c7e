//! The `panel` node: every source joined on (city_code, year), interpolated, constructed and
//! winsorized by `ingest::build_panel`, with ROBOT/ROBOT_R from `exposure` and TP from `tfp`.

use super::{frame_in, op_err, param_f64, table_in, FnOp, NODE};
use robocarb_dag::{OpError, Outputs, TaskContext};
use robocarb_ingest::{build_panel, PanelOptions, PanelParts};
use robocarb_panel::Frame;

pub static BUILD_PANEL: FnOp = FnOp::new(
    "build_panel",
    &["ingest", "panel"],
    "ops/panel.rs",
    &[
        ("cities", NODE, true),
        ("yearbook", NODE, true),
        ("environment", NODE, false),
        ("ceads", NODE, false),
        ("climate", NODE, false),
        ("energy", NODE, false),
        ("firms", NODE, false),
        ("attributes", NODE, false),
        ("exposure", NODE, false),
        ("tfp", NODE, false),
    ],
    run_panel,
);

/// First and last year of a city-year table.
pub fn year_span(f: &Frame) -> Result<(i64, i64), OpError> {
    let years = f.i64("year").map_err(op_err("year span"))?;
    match (years.iter().min(), years.iter().max()) {
        (Some(a), Some(b)) => Ok((*a, *b)),
        _ => Err(OpError::new("the yearbook has no rows")),
    }
}

fn opt_table(ctx: &TaskContext<'_>, slot: &str) -> Result<Option<Frame>, OpError> {
    if ctx.has_input(slot) {
        table_in(ctx, slot).map(Some)
    } else {
        Ok(None)
    }
}

fn opt_named(ctx: &TaskContext<'_>, slot: &str, output: &str) -> Result<Option<Frame>, OpError> {
    if ctx.has_input(slot) && ctx.node_outputs(slot)?.contains_key(output) {
        frame_in(ctx, slot, output).map(Some)
    } else {
        Ok(None)
    }
}

fn run_panel(ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
    let yearbook = table_in(ctx, "yearbook")?;
    let (first_year, last_year) = year_span(&yearbook)?;
    let lower = param_f64(ctx, "winsor_lower")?;
    let upper = param_f64(ctx, "winsor_upper")?;
    if !(0.0..0.5).contains(&lower) || !(0.5..=1.0).contains(&upper) {
        return Err(OpError::new(format!(
            "winsorizing percentiles must satisfy 0 <= lower < 0.5 <= upper <= 1, got {lower} and {upper}"
        )));
    }
    let parts = PanelParts {
        city_list: table_in(ctx, "cities")?,
        first_year,
        last_year,
        yearbook: Some(yearbook),
        environment: opt_table(ctx, "environment")?,
        emissions: opt_table(ctx, "ceads")?,
        ventilation: opt_table(ctx, "climate")?,
        night_lights: opt_named(ctx, "energy", "night_lights")?,
        province_energy: opt_named(ctx, "energy", "province_energy")?,
        robot_firms: opt_table(ctx, "firms")?,
        resource_cities: opt_named(ctx, "attributes", "resource_cities")?,
        smart_city_pilots: opt_named(ctx, "attributes", "smart_city_pilots")?,
        gov_business: opt_named(ctx, "attributes", "gov_business")?,
        plan_cities: opt_named(ctx, "attributes", "plan_cities")?,
        exposure: opt_table(ctx, "exposure")?,
        tfp: opt_table(ctx, "tfp")?,
        options: PanelOptions {
            winsor: Some((lower, upper)),
            ..Default::default()
        },
    };
    let adapted = build_panel(&parts).map_err(|e| OpError::new(e.to_string()))?;
    let mut out = Outputs::new();
    out.insert("table".into(), adapted.frame.encode());
    out.insert(
        "validation.json".into(),
        serde_json::to_vec_pretty(&adapted.report).map_err(op_err("validation report"))?,
    );
    Ok(out)
}
