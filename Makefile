# custctl: build, demo, test, bench, fmt, lint, install.
SWIFT ?= swift
PREFIX ?= /usr/local
APT_PACKAGES := libsqlite3-dev libcrypt-dev sqlite3 strace curl libpq-dev postgresql
BIN := .build/debug/custctl

.PHONY: all build release demo test test-long bench fmt lint install deps man completions clean

all: build

# Installs the system packages the build and tests need, when run as root and they are missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build

# Static Swift runtime and Foundation: half the start-up time of a dynamically linked build. libstdc++
# static too (its 4,300 symbol relocations were a third of a read command's instructions): the linker
# finds libstdc++.a first in STATIC_CXX, where nothing else is (the link asks for -lstdc++ by name).
STATIC_CXX := $(CURDIR)/.build/static-libstdc++
release: deps
	@mkdir -p $(STATIC_CXX); archive="$$(cc -print-file-name=libstdc++.a)"; \
	if [ -f "$$archive" ]; then ln -sf "$$archive" $(STATIC_CXX)/libstdc++.a; else rm -f $(STATIC_CXX)/libstdc++.a; fi
	$(SWIFT) build -c release --static-swift-stdlib -Xlinker -no-pie -Xlinker -L$(STATIC_CXX)

demo: build
	@scripts/demo.sh $(BIN)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The same suites with the full counts (20,000-record batches, 100,000-customer consolidations, more kills).
test-long: deps
	$(SWIFT) build --build-tests
	CUSTCTL_LONG_TESTS=1 $(SWIFT) test --skip-build

bench: release
	@scripts/bench.sh

fmt:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 .build/release/custctl $(DESTDIR)$(PREFIX)/bin/custctl

completions: build
	@mkdir -p .build/completions
	$(BIN) --generate-completion-script bash > .build/completions/custctl.bash
	$(BIN) --generate-completion-script zsh > .build/completions/_custctl
	$(BIN) --generate-completion-script fish > .build/completions/custctl.fish
	@echo "completions in .build/completions"

man: deps
	@mkdir -p .build/man
	$(SWIFT) package plugin --allow-writing-to-package-directory generate-manual --output-directory $(CURDIR)/.build/man
	@echo "man page in .build/man"

clean:
	rm -rf .build
