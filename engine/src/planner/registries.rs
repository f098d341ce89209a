//! Rebuilding a session state without changing which function a name resolves to.
//!
//! DataFusion's `SessionStateBuilder::new_from_existing` lists each function registry's
//! values in hash order and registers them again under their names and aliases. Where a
//! Flint function replaced DataFusion's under its name (`array_prepend`, `avg`), DataFusion's
//! is still held under its aliases (`list_prepend`, `mean`), so a rebuild registered either
//! one last at random: an executor could decode `array_prepend` as DataFusion's, which takes
//! its arguments in the other order. Here the functions are registered in an order that
//! gives every name the function it had.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::{AggregateUDF, HigherOrderUDF, ScalarUDF, WindowUDF};
use datafusion::physical_optimizer::PhysicalOptimizerRule;

/// `state` with `rules` as its physical optimizer rules, every function name resolving as
/// it did in `state`.
pub fn with_physical_optimizer_rules(
    state: &SessionState,
    rules: Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>>,
) -> SessionState {
    let mut builder = SessionStateBuilder::new_from_existing(state.clone()).with_physical_optimizer_rules(rules);
    *builder.scalar_functions() = Some(registration_order(state.scalar_functions()));
    *builder.aggregate_functions() = Some(registration_order(state.aggregate_functions()));
    *builder.window_functions() = Some(registration_order(state.window_functions()));
    *builder.higher_order_functions() =
        Some(registration_order(state.higher_order_functions()));
    builder.build()
}

/// A registered function's name and aliases: every name it is registered under.
trait Names {
    fn names(&self) -> Vec<String>;
}

macro_rules! names_and_aliases {
    ($($function:ty),*) => {$(
        impl Names for $function {
            fn names(&self) -> Vec<String> {
                std::iter::once(self.name().to_string()).chain(self.aliases().iter().cloned()).collect()
            }
        }
    )*};
}

names_and_aliases!(ScalarUDF, AggregateUDF, WindowUDF, HigherOrderUDF);

/// The distinct functions of `registry` (name → function) in an order whose registration,
/// each under its name and aliases, rebuilds `registry`: a function comes after every other
/// function that is also registered under a name it holds.
fn registration_order<F: Names>(registry: &HashMap<String, Arc<F>>) -> Vec<Arc<F>> {
    let mut functions: Vec<Arc<F>> = Vec::new();
    for function in registry.values() {
        if !functions.iter().any(|f| Arc::ptr_eq(f, function)) {
            functions.push(Arc::clone(function));
        }
    }
    let names: Vec<Vec<String>> = functions.iter().map(|f| f.names()).collect();
    let mut writers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, function_names) in names.iter().enumerate() {
        for name in function_names {
            writers.entry(name.as_str()).or_default().push(i);
        }
    }
    let held: Vec<Vec<&str>> = functions
        .iter()
        .zip(&names)
        .map(|(f, function_names)| {
            let holds = |name: &&String| registry.get(name.as_str()).is_some_and(|g| Arc::ptr_eq(f, g));
            function_names.iter().filter(holds).map(String::as_str).collect()
        })
        .collect();
    let mut placed = vec![false; functions.len()];
    let mut order = Vec::with_capacity(functions.len());
    while order.len() < functions.len() {
        let ready: Vec<usize> = (0..functions.len())
            .filter(|&i| !placed[i])
            .filter(|&i| held[i].iter().all(|name| writers[name].iter().all(|&w| w == i || placed[w])))
            .collect();
        // Registration never leaves a cycle; should one appear, the rest go in as listed.
        let next = if ready.is_empty() { (0..functions.len()).filter(|&i| !placed[i]).collect() } else { ready };
        for i in next {
            placed[i] = true;
            order.push(Arc::clone(&functions[i]));
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A function of a test registry: its name and aliases.
    struct Function(Vec<&'static str>);

    impl Names for Function {
        fn names(&self) -> Vec<String> {
            self.0.iter().map(|name| name.to_string()).collect()
        }
    }

    #[test]
    fn an_overridden_function_keeps_its_name_after_a_rebuild() {
        let a = Arc::new(Function(vec!["a", "x", "y"]));
        let b = Arc::new(Function(vec!["a"]));
        let c = Arc::new(Function(vec!["y", "z"]));
        // a registered, then b over `a`, then c over `y`.
        let registry: HashMap<String, Arc<Function>> = [("a", &b), ("x", &a), ("y", &c), ("z", &c)]
            .into_iter()
            .map(|(name, f)| (name.to_string(), Arc::clone(f)))
            .collect();
        let mut rebuilt: HashMap<String, Arc<Function>> = HashMap::new();
        for f in registration_order(&registry) {
            for name in f.names() {
                rebuilt.insert(name, Arc::clone(&f));
            }
        }
        for (name, f) in &registry {
            assert!(Arc::ptr_eq(f, &rebuilt[name]), "{name} resolves to another function");
        }
    }
}
