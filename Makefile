# migrator: PGXS build.  `make && make install` builds and installs the
# extension; `make test` and `make demo` are the two entry points the README
# documents (they install what is missing on a fresh Debian machine).

EXTENSION = migrator
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" migrator.control)

MODULE_big = migrator
OBJS = \
	src/migrator.o \
	src/session.o \
	src/version.o \
	src/script.o \
	src/rules.o \
	src/newness.o \
	src/analyze.o \
	src/history.o \
	src/register.o \
	src/apply.o \
	src/baseline.o \
	src/lint.o \
	src/plan.o \
	src/fingerprint.o \
	src/check.o \
	src/policy.o \
	src/guard.o \
	src/protect.o \
	src/citus.o \
	src/worker.o \
	src/deploy.o \
	src/backfill.o

# The install script of the current version is assembled from src/sql/*.sql
# (one file per module).  Install scripts of released versions
# (migrator--0.1.sql) are frozen copies, never edited, so that a database
# created at any version can be upgraded; upgrade scripts
# (migrator--0.1--0.2.sql) are written by hand, and `make test` walks every
# path to the current version (test/t/016_upgrade.pl, the "upgrade" suite).
DATA = $(filter-out migrator--$(EXTVERSION).sql,$(wildcard migrator--*.sql))
DATA_built = migrator--$(EXTVERSION).sql

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --temp-config=$(srcdir)/test/regress.conf

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers

EXTRA_CLEAN = tmp_install

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

migrator--$(EXTVERSION).sql: $(sort $(wildcard src/sql/*.sql))
	cat $^ > $@

.PHONY: test demo bench rules-doc
test:
	bash test/run.sh

demo:
	bash scripts/demo.sh

bench:
	bash bench/run.sh

# Rewrites the rule table of docs/reference.md from migrator.rules();
# test/t/091_rules_doc.pl fails until it matches.
rules-doc:
	bash scripts/rules-doc.sh

# The command-line client (cli/) has its own small Makefile.
all: all-cli
install: install-cli
uninstall: uninstall-cli
clean: clean-cli
all-cli install-cli uninstall-cli clean-cli:
	$(MAKE) -C cli PG_CONFIG=$(PG_CONFIG) $(patsubst %-cli,%,$@)
.PHONY: all-cli install-cli uninstall-cli clean-cli
