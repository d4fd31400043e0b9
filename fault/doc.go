// Package fault holds cadrebot's fault-injection tests: Redis restarted
// under load, the bot process killed with SIGKILL in the middle of a
// fan-out, 429 and 5xx storms from the Bot API. They drive the real
// service (in process through apptest, or the built binary) against real
// Redis servers and the fake Bot API, and run in CI as part of `make
// test` (`make fault` runs only them).
package fault
