//! The session settings a Python function carries to its workers, kept in the
//! DataFusion session config so that planning code holding only a `SessionState` finds
//! them.

use datafusion::execution::SessionState;

use crate::config::{PYSPARK_PYTHON, SparkConf};
use crate::python::function::{PythonFunction, WORKER_CONF_KEYS};

/// `spark.pyspark.python` and the `spark.*` keys the worker's `RunnerConf` reads.
#[derive(Debug, Clone, Default)]
pub struct PythonSettings {
    python: String,
    conf: Vec<String>,
}

impl PythonSettings {
    /// The settings of `conf`.
    pub fn from_conf(conf: &SparkConf) -> Self {
        let mut pairs = Vec::new();
        for key in WORKER_CONF_KEYS {
            let value = match (*key, conf.get(key)) {
                (_, Some(value)) => value.to_string(),
                ("spark.sql.session.timeZone", None) => conf.time_zone().to_string(),
                _ => continue,
            };
            pairs.push(key.to_string());
            pairs.push(value);
        }
        Self { python: conf.get(PYSPARK_PYTHON.name).unwrap_or_default().to_string(), conf: pairs }
    }

    /// The settings of the session `state` belongs to (defaults when it has none).
    pub fn of(state: &SessionState) -> Self {
        state.config().get_extension::<PythonSettings>().map(|s| s.as_ref().clone()).unwrap_or_default()
    }

    /// `function` with these settings.
    pub fn apply(&self, mut function: PythonFunction) -> PythonFunction {
        function.python = self.python.clone();
        function.conf = self.conf.clone();
        function
    }
}
