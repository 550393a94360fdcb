//! The benchmarks' report sections, tested here: a bench target runs
//! without a test harness, so the tables it renders from its results
//! (`benches/support/*_table.rs`) are compiled into this binary too, their
//! own tests with them.

#[path = "../../benches/support/governor_table.rs"]
#[allow(dead_code)]
mod governor_table;
#[path = "../../benches/support/overhead_table.rs"]
#[allow(dead_code)]
mod overhead_table;
