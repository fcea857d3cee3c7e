//! City-code harmonisation: the study's city list, the crosswalk of boundary and name changes,
//! and name matching (CEADs writes `河北石家庄`, `湖北恩施州`, `北京`).

use std::collections::BTreeMap;

use robocarb_panel::Frame;

use crate::error::IngestError;

/// One city of the study.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    /// 6-digit code.
    pub code: String,
    /// Full name (石家庄市).
    pub name: String,
    /// Short name (石家庄).
    pub short_name: String,
    /// 2-digit province code.
    pub province_code: String,
    /// Province name (河北省).
    pub province_name: String,
}

/// One crosswalk row: `old_code`/`old_name`, valid in `[from_year, to_year]`, maps to `new_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrosswalkEntry {
    /// Old 6-digit code.
    pub old_code: String,
    /// Old name (short or full).
    pub old_name: String,
    /// New 6-digit code.
    pub new_code: String,
    /// New name.
    pub new_name: String,
    /// First year the old code/name is valid.
    pub from_year: i64,
    /// Last year the old code/name is valid.
    pub to_year: i64,
    /// rename, abolish_merge, merge or new_prefecture.
    pub change: String,
}

impl CrosswalkEntry {
    /// True when the change folds the old unit into an existing one (values add up).
    pub fn is_merge(&self) -> bool {
        self.change == "merge" || self.change == "abolish_merge"
    }
}

/// How a code or name was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// In the city list as written.
    Direct(String),
    /// Matched by a name rule (province prefix, name prefix); `rule` says which.
    Matched {
        /// City code.
        code: String,
        /// The rule used.
        rule: &'static str,
    },
    /// Mapped through the crosswalk.
    Crosswalk {
        /// City code.
        code: String,
        /// The change kind (rename, merge...).
        change: String,
        /// True for merges (values of the old unit add to the new one).
        merge: bool,
    },
    /// Not found.
    Unknown,
}

impl Resolution {
    /// The resolved code, if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            Resolution::Direct(c) => Some(c),
            Resolution::Matched { code, .. } | Resolution::Crosswalk { code, .. } => Some(code),
            Resolution::Unknown => None,
        }
    }
}

/// The study's cities plus the crosswalk, indexed for code and name look-ups.
#[derive(Debug, Clone, Default)]
pub struct CityIndex {
    cities: BTreeMap<String, City>,
    crosswalk: Vec<CrosswalkEntry>,
}

/// Province names without their administrative suffix: 河北省 -> 河北, 内蒙古自治区 -> 内蒙古,
/// 广西壮族自治区 -> 广西, 北京市 -> 北京.
pub fn province_short_name(name: &str) -> String {
    for suffix in [
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "自治区",
        "特别行政区",
        "省",
        "市",
    ] {
        if let Some(s) = name.strip_suffix(suffix) {
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    name.to_string()
}

/// City names without the administrative suffix: 石家庄市 -> 石家庄, 大兴安岭地区 -> 大兴安岭,
/// 恩施土家族苗族自治州 stays (matched by prefix), 兴安盟 stays.
pub fn city_short_name(name: &str) -> String {
    for suffix in ["地区", "市"] {
        if let Some(s) = name.strip_suffix(suffix) {
            if s.chars().count() >= 2 {
                return s.to_string();
            }
        }
    }
    name.to_string()
}

impl CityIndex {
    /// Build from a city-list frame (`city_code, city_name, short_name, province_code,
    /// province_name`, as [`crate::read_city_list`] returns) and an optional crosswalk frame (as
    /// [`crate::read_crosswalk`] returns).
    pub fn new(city_list: &Frame, crosswalk: Option<&Frame>) -> Result<CityIndex, IngestError> {
        let codes = city_list.str("city_code")?;
        let names = city_list.str("city_name")?;
        let shorts = city_list.str("short_name")?;
        let pcodes = city_list.str("province_code")?;
        let pnames = city_list.str("province_name")?;
        let mut cities = BTreeMap::new();
        for i in 0..city_list.nrows() {
            cities.insert(
                codes[i].clone(),
                City {
                    code: codes[i].clone(),
                    name: names[i].clone(),
                    short_name: shorts[i].clone(),
                    province_code: pcodes[i].clone(),
                    province_name: pnames[i].clone(),
                },
            );
        }
        let mut entries = Vec::new();
        if let Some(cw) = crosswalk {
            let oc = cw.str("old_code")?;
            let on = cw.str("old_name")?;
            let nc = cw.str("new_code")?;
            let nn = cw.str("new_name")?;
            let fy = cw.i64("from_year")?;
            let ty = cw.i64("to_year")?;
            let ch = cw.str("change")?;
            for i in 0..cw.nrows() {
                entries.push(CrosswalkEntry {
                    old_code: oc[i].clone(),
                    old_name: on[i].clone(),
                    new_code: nc[i].clone(),
                    new_name: nn[i].clone(),
                    from_year: fy[i],
                    to_year: ty[i],
                    change: ch[i].clone(),
                });
            }
        }
        Ok(CityIndex {
            cities,
            crosswalk: entries,
        })
    }

    /// Number of cities.
    pub fn len(&self) -> usize {
        self.cities.len()
    }

    /// True when there are no cities.
    pub fn is_empty(&self) -> bool {
        self.cities.is_empty()
    }

    /// The city with that code.
    pub fn city(&self, code: &str) -> Option<&City> {
        self.cities.get(code)
    }

    /// All cities, ordered by code.
    pub fn cities(&self) -> impl Iterator<Item = &City> {
        self.cities.values()
    }

    /// Resolve a code in `year`: the city list first, then the crosswalk (old code valid that
    /// year, new code in the list).
    pub fn resolve_code(&self, code: &str, year: Option<i64>) -> Resolution {
        if self.cities.contains_key(code) {
            return Resolution::Direct(code.to_string());
        }
        self.crosswalk_by(|e| e.old_code == code, year)
    }

    fn crosswalk_by(
        &self,
        pred: impl Fn(&CrosswalkEntry) -> bool,
        year: Option<i64>,
    ) -> Resolution {
        self.crosswalk
            .iter()
            .find(|e| {
                pred(e)
                    && year.is_none_or(|y| (e.from_year..=e.to_year).contains(&y))
                    && self.cities.contains_key(&e.new_code)
            })
            .map_or(Resolution::Unknown, |e| Resolution::Crosswalk {
                code: e.new_code.clone(),
                change: e.change.clone(),
                merge: e.is_merge(),
            })
    }

    fn unique<'a>(&self, mut it: impl Iterator<Item = &'a City>) -> Option<String> {
        let first = it.next()?;
        it.next().is_none().then(|| first.code.clone())
    }

    fn match_in<'a>(
        &'a self,
        name: &str,
        pool: impl Iterator<Item = &'a City> + Clone,
    ) -> Option<(String, &'static str)> {
        if let Some(c) = self.unique(
            pool.clone()
                .filter(|c| c.name == name || c.short_name == name),
        ) {
            return Some((c, "name"));
        }
        // 恩施州 -> 恩施土家族苗族自治州, 湘西 -> 湘西土家族苗族自治州.
        let stem = name
            .strip_suffix('州')
            .filter(|s| s.chars().count() >= 2)
            .unwrap_or(name);
        if stem.chars().count() >= 2 {
            if let Some(c) = self.unique(pool.filter(|c| c.name.starts_with(stem))) {
                return Some((c, "name prefix"));
            }
        }
        None
    }

    /// Resolve a city name in `year`: exact full or short name; then the crosswalk's old names;
    /// then, for names prefixed by a province (`河北石家庄`), the rest within that province;
    /// then a unique name prefix (`恩施州` -> 恩施土家族苗族自治州).
    pub fn resolve_name(&self, name: &str, year: Option<i64>) -> Resolution {
        let name = name.trim();
        if let Some((code, rule)) = self.match_exact(name) {
            return if rule == "name" {
                Resolution::Direct(code)
            } else {
                Resolution::Matched { code, rule }
            };
        }
        let cw = self.crosswalk_names(name, year);
        if cw != Resolution::Unknown {
            return cw;
        }
        // Province prefix.
        let mut provinces: Vec<(String, String)> = self
            .cities
            .values()
            .map(|c| {
                (
                    province_short_name(&c.province_name),
                    c.province_code.clone(),
                )
            })
            .collect();
        provinces.sort();
        provinces.dedup();
        for (pshort, pcode) in &provinces {
            if let Some(rest) = name.strip_prefix(pshort.as_str()) {
                if rest.is_empty() {
                    continue;
                }
                let pool = self.cities.values().filter(|c| &c.province_code == pcode);
                if let Some((code, _)) = self.match_in(rest, pool) {
                    return Resolution::Matched {
                        code,
                        rule: "province prefix",
                    };
                }
                let cw = self.crosswalk_names(rest, year);
                if cw != Resolution::Unknown {
                    return cw;
                }
            }
        }
        if let Some((code, _)) = self.match_in(name, self.cities.values()) {
            return Resolution::Matched {
                code,
                rule: "name prefix",
            };
        }
        Resolution::Unknown
    }

    fn match_exact(&self, name: &str) -> Option<(String, &'static str)> {
        self.unique(
            self.cities
                .values()
                .filter(|c| c.name == name || c.short_name == name),
        )
        .map(|c| (c, "name"))
    }

    fn crosswalk_names(&self, name: &str, year: Option<i64>) -> Resolution {
        self.crosswalk_by(
            |e| {
                e.old_name == name
                    || city_short_name(&e.old_name) == name
                    || e.old_name == city_short_name(name)
            },
            year,
        )
    }
}
