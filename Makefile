# The two commands of the README:
#   make run    set up and run the switch (SQLite, config/voxide.toml)
#   make test   set up and run the whole test suite, with fmt and clippy
.PHONY: run test bench

# One-shot builds gain nothing from incremental caches, which double the disk used.
test: export CARGO_INCREMENTAL ?= 0

export VOXIDE_TEST_POSTGRES_URL ?= postgres://voxide:voxide@127.0.0.1:5432/voxide_test

run:
	scripts/deps.sh run
	cargo run --release -p voxide -- serve

test:
	scripts/deps.sh test
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo test --workspace --all-targets
	cargo test --workspace --doc

bench:
	scripts/deps.sh run
	cargo bench -p voxide-registrar --bench register
	benches/register.sh

# RTP relayed by Voxide, by rtpengine (userspace only) and by a bare echo relay,
# side by side (benches/README.md, section 5).
.PHONY: bench-media
bench-media:
	benches/media.sh

# The whole benchmark suite: every figure with its peer, into
# benches/results/suite-<time>/ (benches/README.md, section 0).
.PHONY: bench-suite
bench-suite:
	benches/suite.sh
