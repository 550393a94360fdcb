//! The stateful mock Katapult, from outside: what it reads, the transitions
//! it allows and refuses, its tasks, and its wire. Most tests stop the
//! mock's clock, so every status they see is exact; those on the real clock
//! wait only for an ending, within a bound.

mod reads;
mod refusals;
mod support;
mod tasks;
mod wire;
mod writes;
