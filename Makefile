# mailsim: build, test, bench, install.
#
#   make          build/mailsim and build/libmailsim.a
#   make check    every test, then the whole suite again under ASan and UBSan
#   make bench    BENCH lines for the figures the issues name
#   make run      the main job (the walkthrough)
#   make deps     install missing Debian packages
#   make install  PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build

# Debian packages: build libraries, the test framework, and the real tools the
# interoperability and pcap tests drive.
DEB_PACKAGES := gcc make pkg-config libncurses-dev libcjson-dev check tmux tshark \
                python3 curl swaks python3-aiosmtpd
PKG_MODULES := ncursesw libcjson check

ifeq ($(CI),true)
WERROR := -Werror
endif

HAVE_DEPS := $(shell $(PKG_CONFIG) --exists $(PKG_MODULES) 2>/dev/null && echo yes)
ifeq ($(HAVE_DEPS),yes)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags ncursesw libcjson)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs ncursesw libcjson)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check)
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wno-unused-parameter $(WERROR)
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) \
              -Isim -Itui -MMD -MP $(PKG_CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC := $(sort $(shell find sim -name '*.c' ! -path 'sim/cli/*'))
CLI_SRC := $(sort $(wildcard sim/cli/*.c))
TUI_SRC := $(sort $(wildcard tui/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))
TEST_SUITES := $(patsubst tests/test_%.c,%,$(filter tests/test_%.c,$(TEST_SRC)))
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))

obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

.PHONY: all check check-run test test-asan bench run deps ensure-deps install clean

all: ensure-deps
	@$(MAKE) --no-print-directory $(BUILD)/mailsim

ensure-deps:
	@$(PKG_CONFIG) --exists $(PKG_MODULES) 2>/dev/null || $(MAKE) --no-print-directory deps

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing

# --- objects -----------------------------------------------------------------

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -I$(BUILD) -c $< -o $@

$(BUILD)/asan/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(CHECK_CFLAGS) -Itests -I$(BUILD) -c $< -o $@

# --- library and programs ----------------------------------------------------

$(BUILD)/libmailsim.a: $(call obj,$(BUILD),$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/mailsim: $(call obj,$(BUILD),$(CLI_SRC) $(TUI_SRC)) $(BUILD)/libmailsim.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/asan/libmailsim.a: $(call obj,$(BUILD)/asan,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/asan/mailsim: $(call obj,$(BUILD)/asan,$(CLI_SRC) $(TUI_SRC)) $(BUILD)/asan/libmailsim.a
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) -lm

# The runner finds every suite by file name: tests/test_NAME.c defines
# Suite *NAME_suite(void).
$(BUILD)/suites.inc: $(TEST_SRC) Makefile
	@mkdir -p $(BUILD)
	@printf '%s\n' $(foreach s,$(TEST_SUITES),"SUITE($(s))") > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(call obj,$(BUILD),tests/main.c) $(call obj,$(BUILD)/asan,tests/main.c): $(BUILD)/suites.inc

$(BUILD)/test_runner: $(call obj,$(BUILD),$(TEST_SRC) $(TUI_SRC)) $(BUILD)/libmailsim.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS) -lm

$(BUILD)/asan/test_runner: $(call obj,$(BUILD)/asan,$(TEST_SRC) $(TUI_SRC)) $(BUILD)/asan/libmailsim.a
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS) -lm

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libmailsim.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 -DNDEBUG -Itests -o $@ $< $(BUILD)/libmailsim.a $(PKG_LIBS) -lm

# --- targets -----------------------------------------------------------------

check: ensure-deps
	@$(MAKE) --no-print-directory check-run

check-run: $(BUILD)/mailsim $(BUILD)/test_runner $(BUILD)/asan/test_runner $(BUILD)/asan/mailsim
	@echo "== tests"
	MAILSIM=$(BUILD)/mailsim $(BUILD)/test_runner
	@echo "== tests under ASan and UBSan"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  MAILSIM=$(BUILD)/asan/mailsim $(BUILD)/asan/test_runner
	@if ls tests/sh/*.sh >/dev/null 2>&1; then \
	  echo "== program tests"; \
	  for t in tests/sh/*.sh; do MAILSIM=$(BUILD)/mailsim BUILD=$(BUILD) bash $$t || exit 1; done; \
	fi

bench: ensure-deps
	@$(MAKE) --no-print-directory $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC)) $(BUILD)/mailsim
	@for b in $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC)); do MAILSIM=$(BUILD)/mailsim $$b || exit 1; done

run: all
	$(BUILD)/mailsim

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/mailsim/scenarios
	install -m 755 $(BUILD)/mailsim $(DESTDIR)$(PREFIX)/bin/mailsim
	@if ls scenarios/*.json >/dev/null 2>&1; then \
	  install -m 644 scenarios/*.json $(DESTDIR)$(PREFIX)/share/mailsim/scenarios/; fi

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
