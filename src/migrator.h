/*-------------------------------------------------------------------------
 *
 * migrator.h
 *	  Shared declarations of the migrator extension.
 *
 * The modules, and how a call flows through them, are described in
 * docs/design.md.  In short:
 *
 *	version.c	natural ordering of version strings
 *	script.c	splitting SQL text into statements with the server's parser,
 *				checksums, and executing a script statement by statement
 *	classify.c	the rule table: which statements are destructive or staged
 *	history.c	the catalog: extension owner, history writes under the
 *				owner's identity, events, the apply lock
 *	register.c	migrator.register()
 *	apply.c		migrator.apply(), rollback(), rollback_to(), verify()
 *	baseline.c	migrator.baseline(): mark a migration applied without running it
 *	lint.c		migrator.lint(), rules(): findings of a script
 *	plan.c		migrator.plan(): locks and hazards of pending migrations
 *	fingerprint.c	schema fingerprints, migrator.drift()
 *	check.c		migrator.check(): reversibility of pending migrations
 *	guard.c		the guard: ProcessUtility hook, sql_drop event trigger,
 *				migrator.allow()
 *	worker.c	worker_run_sql(): top-level statements in a background worker
 *	deploy.c	CALL migrator.deploy()
 *	backfill.c	CALL migrator.backfill()
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_H
#define MIGRATOR_H

#include "postgres.h"

#include "nodes/parsenodes.h"
#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "utils/errcodes.h"
#include "utils/resowner.h"

/*
 * SQLSTATEs of migrator's own refusals, class "MG".  Argument errors use the
 * standard codes (22004, 22023); errors raised by user SQL keep theirs.
 */
#define ERRCODE_MIGRATOR_PLAN_REQUIRED		MAKE_SQLSTATE('M','G','0','0','1')
#define ERRCODE_MIGRATOR_CHECKSUM_MISMATCH	MAKE_SQLSTATE('M','G','0','0','2')
#define ERRCODE_MIGRATOR_KIND_UNDERSTATED	MAKE_SQLSTATE('M','G','0','0','3')
#define ERRCODE_MIGRATOR_OUT_OF_ORDER		MAKE_SQLSTATE('M','G','0','0','4')
#define ERRCODE_MIGRATOR_NOT_TRANSACTIONAL	MAKE_SQLSTATE('M','G','0','0','5')
#define ERRCODE_MIGRATOR_NO_DOWN			MAKE_SQLSTATE('M','G','0','0','6')
#define ERRCODE_MIGRATOR_UNKNOWN_VERSION	MAKE_SQLSTATE('M','G','0','0','7')
#define ERRCODE_MIGRATOR_BAD_SCRIPT			MAKE_SQLSTATE('M','G','0','0','8')
#define ERRCODE_MIGRATOR_RECURSION			MAKE_SQLSTATE('M','G','0','0','9')
#define ERRCODE_MIGRATOR_HISTORY_PROTECTED	MAKE_SQLSTATE('M','G','0','1','0')
#define ERRCODE_MIGRATOR_GUARD_BLOCKED		MAKE_SQLSTATE('M','G','0','1','1')

/* The advisory lock that serialises migrator calls in one database. */
#define MIGRATOR_LOCK_KEY1	1835624306	/* 'migr' */
#define MIGRATOR_LOCK_KEY2	1635020658	/* 'ator' */

/* Migration kinds, in increasing order of risk. */
typedef enum MigrationKind
{
	MIGRATION_ADDITIVE = 0,
	MIGRATION_STAGED,
	MIGRATION_DESTRUCTIVE
} MigrationKind;

extern const char *migration_kind_name(MigrationKind kind);
extern MigrationKind migration_kind_from_name(const char *name);

/* One rule of the rule table (classify.c). */
typedef struct MigratorRule
{
	const char *id;				/* stable id used in errors, events, docs */
	MigrationKind kind;			/* what a statement that fires it makes */
	const char *description;	/* one line, for the README and lint */
	const char *severity;		/* "error", "warning" or "info"; NULL: from
								 * kind (see migrator_rule_severity()) */
	const char *hint;			/* the safe pattern; NULL: from kind */
	bool		rewrites;		/* the statement rewrites or scans the table */
} MigratorRule;

/* A rule that fired on one statement. */
typedef struct RuleFinding
{
	const MigratorRule *rule;
	char	   *object;			/* object it applies to, or NULL */
	int			location;		/* byte offset in the statement, or -1 */
} RuleFinding;

/* One statement of a script (script.c). */
typedef struct ScriptStatement
{
	int			index;			/* 1-based position in the script */
	int			location;		/* byte offset of the statement in the script */
	char	   *sql;			/* the statement's own text */
	RawStmt    *raw;			/* its raw parse tree */
} ScriptStatement;

/* version.c */
extern int	version_compare(const char *a, const char *b);

/* script.c */
extern List *script_parse(const char *sql, const char *what);
extern char *script_checksum(const char *sql);
extern void script_execute(const char *sql, const char *version,
						   const char *what);
extern bool script_is_blank(const char *sql);
extern ErrorData *subtransaction_abort(MemoryContext oldcxt,
									   ResourceOwner oldowner);

/* classify.c */
extern const MigratorRule *migrator_rule(const char *id);
extern const MigratorRule *migrator_rule_table(void);
extern List *classify_statement(Node *stmt);
extern bool statement_needs_autocommit(Node *stmt);
extern const char *statement_unsupported_reason(Node *stmt);
extern MigrationKind classify_script(List *statements, List **findings_out);
extern const char *statement_tag(Node *stmt);
extern const char *migrator_rule_severity(const MigratorRule *rule);
extern const char *migrator_rule_hint(const MigratorRule *rule);
extern bool relation_has_temporary_column(Oid relid);
extern char *relation_name(RangeVar *rv);
extern bool alter_column_type_is_safe(RangeVar *rel, AlterTableCmd *cmd);

/* history.c */
extern Oid	migrator_extension_owner(void);
extern int	history_exec(const char *sql, int nargs, Oid *argtypes,
						 Datum *values, const char *nulls);
extern bool history_write_in_progress(void);
extern void history_lock(const char *caller);
extern void history_origin(char **appname, char **addr);
extern void history_set_origin(const char *app, const char *addr);
extern void history_event_autonomous(const char *version, const char *action,
									 const char *migration_type, const char *outcome,
									 const char *rule, const char *statement,
									 const char *detail);
extern void history_event(const char *version, const char *action,
						  const char *migration_type, const char *outcome,
						  const char *rule, const char *statement,
						  const char *detail);

/* register.c */
extern void check_version_argument(const char *version, const char *argname);

/* apply.c */

/* One migration loaded from the catalog. */
typedef struct Migration
{
	char	   *version;
	char	   *kind;
	bool		transactional;
	char	   *up;
	char	   *down;
	char	   *verify;
	char	   *checksum;
	char	   *state;
} Migration;

extern bool migrator_running_script(void);
extern bool migrator_current_migration(const char **version, const char **kind,
									   const char **direction);
extern void migrator_check_not_in_script(const char *function);
extern void begin_state_change(const char *function);

/*
 * lint.c, plan.c, check.c, fingerprint.c: lint, staged plans, plan(),
 * check() and drift().
 */

/* One finding of lint: a rule that fired on one statement of a script. */
typedef struct LintFinding
{
	const MigratorRule *rule;
	int			statement;		/* 1-based index of the statement */
	int			location;		/* byte offset in the script */
	const char *tag;			/* command tag of the statement */
	char	   *object;			/* object it applies to, or NULL */
	char	   *message;		/* one line, PostgreSQL message style */
} LintFinding;

/* What lint knows while it walks scripts: zero it before the first. */
typedef struct LintState
{
	List	   *created;		/* RangeVars of tables and indexes created */
	List	   *not_null_proven;	/* "rel.col" with a validated IS NOT NULL check */
	List	   *not_null_pending;	/* "constraint=rel.col", NOT VALID */
	List	   *findings;		/* LintFinding of the current script */
} LintState;

extern void lint_begin_script(LintState *state);
extern void lint_statement(LintState *state, ScriptStatement *st);
extern List *lint_script(List *statements, LintState *state);
extern bool lint_is_new(LintState *state, RangeVar *rv);
extern char *lint_findings_json(List *findings);

/* A schema fingerprint is a List of FingerprintItem sorted by kind, object. */
typedef struct FingerprintItem
{
	char	   *kind;			/* "table", "column", "index", ... */
	char	   *object;			/* qualified name */
	char	   *definition;		/* what must stay equal */
} FingerprintItem;

/* One difference between two fingerprints. */
typedef struct FingerprintChange
{
	const char *change;			/* "added", "removed" or "changed" */
	FingerprintItem *before;	/* NULL when added */
	FingerprintItem *after;		/* NULL when removed */
} FingerprintChange;

extern List *fingerprint_take(void);
extern List *fingerprint_diff(List *before, List *after);
extern char *fingerprint_change_text(FingerprintChange *c);
extern void fingerprint_record(const char *reason);
extern void fingerprint_record_at_commit(const char *reason);

/* apply.c: run a script as apply() does (caller's rights, guard state) */
extern void migration_run_script(const char *version, const char *kind,
								 const char *direction, const char *sql);
extern void migrator_set_running_migration(const char *version,
										   const char *kind,
										   const char *direction);
extern void begin_state_change(const char *function);
extern List *migrations_pending_upto(const char *target, bool for_update);
extern List *pending_migrations(const char *target, bool allow_out_of_order,
								bool allow_nontransactional);
extern void migration_check_checksum(Migration *m);
extern Interval *migration_apply(Migration *m);
extern void migration_record_applied(Migration *m, Interval *duration);
extern Interval *elapsed_interval(TimestampTz start);
extern char *interval_text(Interval *iv);

/* deploy.c */
extern void DeployInit(void);

/* guard.c */
extern void GuardInit(void);

#endif							/* MIGRATOR_H */
