//! The true parameters of the data-generating process, written to `truth.toml`.

/// Every parameter of the DGP (see docs/twin.md for the equations).
#[derive(Debug, Clone)]
pub struct Truth {
    pub seed: u64,
    /// Total effect of ROBOT (thousand units) on CARBON (ln t) in the two-way FE model with the
    /// paper's controls: the paper's -0.025, as a within-variance-weighted mean over cities.
    pub beta_total: f64,
    /// Direct effect for a city with no heterogeneity shift (solved so the weighted total = beta_total).
    pub beta_direct_base: f64,
    /// Shifts of the direct effect: resource-based, first-batch pilot, low gov-business closeness.
    pub h_resource: f64,
    pub h_pilot: f64,
    pub h_gov_low: f64,
    /// Mediators m = a ROBOT_w + u, CARBON += b m.
    pub a_di: f64,
    pub b_di: f64,
    pub sd_u_di: f64,
    pub a_iu: f64,
    pub b_iu: f64,
    pub sd_u_iu: f64,
    /// TP is measured, not drawn: `a_tp` is the two-way within slope of the DEA-measured TP on
    /// ROBOT_w (no controls), filled by the generator; CARBON += b_tp * TP; `sd_u_tp` is the
    /// sd of the log noise of the pollution intensities.
    pub a_tp: f64,
    pub b_tp: f64,
    pub sd_u_tp: f64,
    /// True when TP was measured by the DEA (false: TP = 1, channel off; see panel.rs).
    pub tp_measured: bool,
    /// Cells whose TP the DEA leaves undefined (an infeasible cross-period program); they enter
    /// the CO2 equation with TP = 1 and are missing in the pipeline's panel.
    pub tp_undefined_cells: usize,
    /// Log change of fixed investment per thousand robots (ROBOT_w): I = I_0 exp(k ROBOT_w).
    pub inv_per_robot: f64,
    /// Control coefficients in the order GDP, PS, FDI, FP, URB, EC, HC, VC (paper Table 4 col. 4).
    pub delta: [f64; 8],
    pub gamma_linear: f64,
    pub gamma_quadratic: f64,
    pub rho_eps: f64,
    pub sd_eps_innovation: f64,
    /// City CO2 level: t CO2 per 10k yuan of mean real GDP (times exp of a N(0, 0.25^2) draw).
    pub co2_per_gdp: f64,
    /// Poisson mean of the instrument: firms per thousand robots.
    pub yfe_per_thousand_robots: f64,
    /// Weighted mean total effect by Table 9 group (filled by the generator).
    pub group_effects: Vec<(&'static str, f64)>,
    /// Scale of every ROBOT -> CO2 path (`TwinProcess::robot_effect`; 1 = the default process).
    pub robot_effect: f64,
}

/// A TOML float: `nan` for an empty group (TOML has no `NaN`), shortest round-trip text otherwise.
fn toml_float(x: f64) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else {
        format!("{x:?}")
    }
}

/// Names of the controls in `delta` order.
pub const CONTROL_NAMES: [&str; 8] = ["GDP", "PS", "FDI", "FP", "URB", "EC", "HC", "VC"];

impl Truth {
    pub fn default_truth(seed: u64) -> Truth {
        Truth {
            seed,
            beta_total: -0.025,
            beta_direct_base: f64::NAN,
            h_resource: -0.04,
            h_pilot: 0.03,
            h_gov_low: 0.025,
            a_di: 0.004,
            b_di: -1.0,
            sd_u_di: 0.004,
            a_iu: 0.02,
            b_iu: -0.3,
            sd_u_iu: 0.01,
            a_tp: f64::NAN,
            b_tp: -0.1,
            sd_u_tp: 0.02,
            tp_measured: false,
            tp_undefined_cells: 0,
            inv_per_robot: 0.6,
            delta: [0.166, 0.407, -0.019, 0.158, 0.419, 0.130, -0.027, 0.079],
            gamma_linear: 0.035,
            gamma_quadratic: -0.0018,
            rho_eps: 0.4,
            sd_eps_innovation: 0.07,
            co2_per_gdp: 2.0,
            yfe_per_thousand_robots: 6.0,
            group_effects: Vec::new(),
            robot_effect: 1.0,
        }
    }

    /// Scale every path from ROBOT to CO2 by `e`: the total effect (hence the direct one, which is
    /// solved from it), the group shifts of the direct effect and the mediators' effects on CO2
    /// (their `b`; robots still move the mediators). The generator also scales the within-city
    /// part of the controls' contribution to CO2 by `e` (panel.rs). `e = 1` changes nothing.
    pub fn scale_robot_effect(&mut self, e: f64) {
        // x * 0 of a negative x is -0.0; write a plain 0
        let scale = |x: f64| if x * e == 0.0 { 0.0 } else { x * e };
        self.robot_effect = e;
        self.beta_total = scale(self.beta_total);
        self.h_resource = scale(self.h_resource);
        self.h_pilot = scale(self.h_pilot);
        self.h_gov_low = scale(self.h_gov_low);
        self.b_di = scale(self.b_di);
        self.b_iu = scale(self.b_iu);
        self.b_tp = scale(self.b_tp);
    }

    /// TOML text (fixed order, `{:?}` floats so values round-trip exactly).
    pub fn to_toml(&self, version: &str, cities: usize, years: (i32, i32)) -> String {
        let mut s = String::new();
        s.push_str(
            "# True parameters of the synthetic twin's data-generating process (docs/twin.md).\n",
        );
        s.push_str("# Units: ROBOT in thousand robots, CARBON = ln(t CO2), mediators as in docs/twin.md.\n");
        s.push_str(&format!("generator = \"robocarb-synth\"\nversion = \"{version}\"\nseed = {}\ncities = {cities}\nyears = [{}, {}]\n\n", self.seed, years.0, years.1));
        s.push_str("[carbon]\n");
        s.push_str("# exact in expectation: coefficient of ROBOT in CARBON ~ ROBOT + controls | city + year\n");
        s.push_str(&format!("beta_total = {:?}\n", self.beta_total));
        if self.robot_effect != 1.0 {
            // only when set, so the default twin keeps its bytes
            s.push_str("# every ROBOT -> CO2 path scaled by robot_effect (direct, group shifts, mediators' b,\n");
            s.push_str("# within-city part of the controls' contribution); 0: ROBOT's coefficient is 0 in every\n");
            s.push_str("# two-way FE specification of CARBON, with any subset of the controls\n");
            s.push_str(&format!("robot_effect = {:?}\n", self.robot_effect));
        }
        s.push_str(&format!("beta_direct_base = {:?}\n", self.beta_direct_base));
        s.push_str(&format!(
            "indirect = {:?}\n",
            self.a_di * self.b_di + self.a_iu * self.b_iu + self.a_tp * self.b_tp
        ));
        s.push_str(&format!("gamma_linear = {:?}\ngamma_quadratic = {:?}\nrho_eps = {:?}\nsd_eps_innovation = {:?}\nco2_per_gdp_t_per_10k_yuan = {:?}\n\n", self.gamma_linear, self.gamma_quadratic, self.rho_eps, self.sd_eps_innovation, self.co2_per_gdp));
        s.push_str("[controls]\n");
        for (name, d) in CONTROL_NAMES.iter().zip(self.delta) {
            s.push_str(&format!("{name} = {d:?}\n"));
        }
        s.push_str("\n[heterogeneity]\n# shifts of the direct ROBOT effect (exact for the latent city slopes)\n");
        s.push_str(&format!(
            "resource_based = {:?}\nsmart_city_pilot = {:?}\ngov_business_low = {:?}\n\n",
            self.h_resource, self.h_pilot, self.h_gov_low
        ));
        s.push_str("[group_total_effect]\n# within-variance-weighted mean total effect per Table 9 group (approximate target of split-sample FE)\n");
        for (g, v) in &self.group_effects {
            s.push_str(&format!("{g} = {}\n", toml_float(*v)));
        }
        s.push_str(
            "\n[mediators]\n# DI, IU: m = a * ROBOT_w + u, u ~ N(0, sd^2); CARBON += b * m\n",
        );
        s.push_str(
            "# DI: exact (DI = emp_ict / emp_tertiary = city base + m). IU: directional only.\n",
        );
        s.push_str("# TP: measured by the super-SBM ML DEA on the written data (TC / TE); CARBON += b * TP exactly;\n");
        s.push_str("# a = within slope of that TP on ROBOT_w (no controls), created by robot-driven investment;\n");
        s.push_str(
            "# sd_u = log noise of the pollution intensities. a is measured, so directional.\n",
        );
        for (k, a, b, sd) in [
            ("DI", self.a_di, self.b_di, self.sd_u_di),
            ("IU", self.a_iu, self.b_iu, self.sd_u_iu),
            ("TP", self.a_tp, self.b_tp, self.sd_u_tp),
        ] {
            s.push_str(&format!(
                "{k} = {{ a = {a:?}, b = {b:?}, sd_u = {sd:?} }}\n"
            ));
        }
        s.push_str(&format!("tp_measured = {}\n", self.tp_measured));
        if self.tp_undefined_cells > 0 {
            // only when there are any, so twins without them keep their bytes
            s.push_str(&format!(
                "tp_undefined_cells = {}  # TP = 1 in CO2, missing in the panel\n",
                self.tp_undefined_cells
            ));
        }
        s.push_str(&format!(
            "investment_per_robot = {:?}  # I = I_0 * exp(k * ROBOT_w)\n",
            self.inv_per_robot
        ));
        s.push_str("\n[instrument]\n# YFE_it = max(YFE_i,t-1, Poisson(k * ROBOT_it + 0.3 exp(v_i))), v_i ~ N(0, 0.8^2); excluded from CARBON\n");
        s.push_str(&format!(
            "yfe_per_thousand_robots = {:?}\n",
            self.yfe_per_thousand_robots
        ));
        s
    }
}
