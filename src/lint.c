/*-------------------------------------------------------------------------
 *
 * lint.c
 *	  migrator.lint() and migrator.rules(): the findings of a script.
 *
 * A finding is a rule of the rule table (rules.c) that fired on one
 * statement.  The destructive and staged rules come from
 * classify_statement() (analyze.c); the hazard rules (locks, rewrites,
 * full scans, disabled timeouts, statements that need autocommit) are
 * checked here, because several of them depend on the catalog and on what the migration
 * did before: a table created earlier in the same migration (or, for
 * plan(), in an earlier pending migration) holds no rows, so locking or
 * rewriting it is no hazard.  A table the catalog does not know and that
 * the migration did not create is assumed to exist in production.
 *
 * register() stores the result of lint_script() as jsonb in
 * migrations.findings, so lint(), status() and plan() show the same thing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/scanner.h"
#include "parser/parse_type.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "migrator.h"
#include "analyze.h"
#include "citus.h"
#include "lint.h"
#include "rules.h"
#include "script.h"
#include "staged_parse.h"

PG_FUNCTION_INFO_V1(migrator_lint);

/*
 * Severity from the catalog's sizes (docs/lint.md): a lock or rewrite
 * hazard on a table that is empty or small where lint runs is reported as
 * "info", with the size in the message.  Lint run where the data is (or a
 * copy with its sizes) knows; on an empty schema, switch this off and
 * every existing table counts as large.
 */
static bool lint_table_sizes = true;
static int	lint_small_table_rows = 10000;
static int	lint_small_table_size = 1024;	/* kB */

/* Append one finding to state->findings. */
static void
lint_add(LintState *state, const MigratorRule *rule, int statement,
		 const char *tag, char *object, int location, char *message)
{
	LintFinding *f = palloc0(sizeof(LintFinding));

	f->rule = rule;
	f->statement = statement;
	f->tag = tag;
	f->object = object;
	f->location = location;
	f->message = message;
	state->findings = lappend(state->findings, f);
}

/*
 * Start a new script ("transactional" false: each statement runs in a
 * transaction of its own; "statements" its statements, when known, for
 * the hazards that look ahead).  Findings, not-null proofs and the tables
 * ALTER TABLE locked are per script; what was created carries over
 * (plan() lints several migrations in a row), as new for the hazards, no
 * longer new for destruction.
 */
void
lint_begin_script(LintState *state, bool transactional, List *statements)
{
	if (state->ctx == NULL)
		state->ctx = analyze_context(oracle_by_name());
	analyze_begin_script(state->ctx, transactional);
	state->ctx->sizes.enabled = lint_table_sizes;
	state->ctx->sizes.small_rows = lint_small_table_rows;
	state->ctx->sizes.small_kb = lint_small_table_size;
	state->ctx->altered = NIL;	/* locks go with the migration's commit */
	state->ctx->upcoming = statements;
	state->findings = NIL;
}

/* A finding's severity: lowered by the table's size, or the rule's. */
const char *
lint_finding_severity(LintFinding *f)
{
	return f->severity ? f->severity : migrator_rule_severity(f->rule);
}

/*
 * Define the lint GUCs.  Called from _PG_init.
 */
void
LintInit(void)
{
	DefineCustomBoolVariable("migrator.lint_table_sizes",
							 "Whether lint lowers hazards on empty and small tables to info.",
							 "Sizes are those of the database lint runs in. Switch it off to lint against an empty schema as if every existing table were large.",
							 &lint_table_sizes, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("migrator.lint_small_table_rows",
							"Up to how many rows (pg_class.reltuples) a table counts as small for lint.",
							NULL, &lint_small_table_rows, 10000, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("migrator.lint_small_table_size",
							"Up to what size a table (with its partitions) counts as small for lint.",
							NULL, &lint_small_table_size, 1024, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
}

/*
 * The length in bytes of the identifier that starts at "p" as written:
 * quoted (with "" for a quote) or not.  0 for U&"..." (escapes).
 */
static int
identifier_source_bytes(const char *p)
{
	int			n = 0;

	if (*p == '"')
	{
		for (p++; *p; p++, n++)
			if (*p == '"')
			{
				if (p[1] != '"')
					break;
				p++;
			}
		return n;
	}
	if ((p[0] == 'U' || p[0] == 'u') && p[1] == '&')
		return 0;
	while (*p && (IS_HIGHBIT_SET(*p) || isalnum((unsigned char) *p) || *p == '_' || *p == '$'))
	{
		p++;
		n++;
	}
	return n;
}

/*
 * Identifiers longer than NAMEDATALEN - 1 bytes: the server truncates
 * them (a NOTICE the client may not show), so the object gets another
 * name than the one written.  The parse tree holds only the truncated
 * names: the statement's text is scanned with the server's own lexer
 * (its truncation NOTICEs muted for the scan; the parse already gave them).
 */
static void
lint_long_identifiers(LintState *state, ScriptStatement *st)
{
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			tok;
	int			nestlevel;

	/* cheap test first: no name in the text is that long */
	if (strlen(st->sql) < NAMEDATALEN)
		return;
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("client_min_messages", "warning", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	scanner = scanner_init(st->sql, &extra, &ScanKeywords, ScanKeywordTokens);
	while ((tok = core_yylex(&yylval, &yylloc, scanner)) != 0)
	{
		if (tok != scanner_ident_token() || strlen(yylval.str) < NAMEDATALEN - 1 ||
			identifier_source_bytes(st->sql + yylloc) < NAMEDATALEN)
			continue;
		lint_add(state, migrator_rule("identifier_too_long"), st->index,
				 statement_tag(st->raw->stmt),
				 pstrdup(yylval.str), st->location + yylloc,
				 psprintf("identifier of %d bytes is truncated to \"%s\"",
						  identifier_source_bytes(st->sql + yylloc), yylval.str));
	}
	scanner_finish(scanner);
	AtEOXact_GUC(true, nestlevel);
}

/*
 * A destructive or blocking change of an existing table that
 * migrator.stage() runs (staged_parse.c): rule stage_it, whose hint says
 * how.  Read from the statement's findings and hazards lint just added
 * ("first" is the first of them); not for a table the script created
 * ("is_new": nothing uses it yet), nor for a blocking hazard that the
 * table's size made info, nor for migrator's own objects (never staged).
 */
static void
lint_stage_it(LintState *state, ScriptStatement *st, StatementFacts *facts,
			  RangeVar *rv, bool is_new, int first)
{
	static const char *const blocking[] = {
		"set_not_null_scan", "add_check_validating", "add_foreign_key_validating",
		"add_unique_blocking", "add_column_rewrite", "alter_column_type_rewrite",
	};
	bool		found = false;
	ListCell   *fc;

	if (rv == NULL || is_new || facts->own_object)
		return;
	for_each_from(fc, state->findings, first)
	{
		LintFinding *f = lfirst(fc);
		int			i;

		if (f->rule->kind == MIGRATION_DESTRUCTIVE)
			found = true;
		/* a blocking hazard on a small table (info) is not worth a rollout */
		for (i = 0; i < lengthof(blocking); i++)
			if (strcmp(f->rule->id, blocking[i]) == 0 &&
				strcmp(lint_finding_severity(f), "info") != 0)
				found = true;
	}
	if (found && staged_statement_is_supported(st->raw->stmt))
		lint_add(state, migrator_rule("stage_it"), st->index, facts->tag,
				 relation_name(rv), st->location,
				 psprintf("%s on \"%s\" can be staged: both application versions keep working",
						  facts->tag, relation_name(rv)));
}

/*
 * Lint one statement: append its findings to state->findings and return
 * its facts ("what" asks analyze_statement() for more, e.g. the locks).
 * A destructive finding on what the script created in the same
 * transaction (or on a temporary object) destroys nothing and is not
 * reported, exactly as the guard lets it through.
 */
StatementFacts *
lint_statement(LintState *state, ScriptStatement *st, int what)
{
	StatementFacts *facts;
	char	   *note;
	ListCell   *fc;
	Node	   *stmt = st->raw->stmt;
	RangeVar   *rv = IsA(stmt, RenameStmt) ? ((RenameStmt *) stmt)->relation
		: IsA(stmt, AlterTableStmt) ? ((AlterTableStmt *) stmt)->relation : NULL;
	bool		is_new;
	int			first = list_length(state->findings);

	if (state->ctx == NULL)
		lint_begin_script(state, true, NIL);
	is_new = rv != NULL && oracle_relation_is_new(state->ctx->oracle, rv);
	state->ctx->current = st->index;
	facts = analyze_statement(state->ctx, st->raw->stmt,
							  what | ANALYZE_HAZARDS | ANALYZE_EXEMPTION);
	foreach(fc, facts->findings)
	{
		RuleFinding *rf = lfirst(fc);
		const char *kind = rf->rule->kind == MIGRATION_DESTRUCTIVE
		? "is destructive" : "is a staged change";

		if (rf->rule->kind == MIGRATION_DESTRUCTIVE && facts->exempt)
			continue;
		lint_add(state, rf->rule, st->index, facts->tag, rf->object,
				 rf->location >= 0 ? rf->location : st->location,
				 rf->object
				 ? psprintf("%s \"%s\" %s", facts->tag, rf->object, kind)
				 : psprintf("%s %s", facts->tag, kind));
	}
	foreach(fc, facts->cascade_victims)
		lint_add(state, migrator_rule("drop_cascade"), st->index, facts->tag,
				 pstrdup(lfirst(fc)), st->location,
				 psprintf("%s ... CASCADE \"%s\" is destructive",
						  facts->tag, (char *) lfirst(fc)));
	foreach(fc, facts->hazards)
	{
		RuleFinding *rf = lfirst(fc);

		lint_add(state, rf->rule, st->index, facts->tag, rf->object,
				 rf->location >= 0 ? rf->location : st->location, rf->message);
		((LintFinding *) llast(state->findings))->severity = rf->severity;
	}
	if ((note = citus_statement_note(facts)) != NULL)
		lint_add(state, migrator_rule("citus_distributed"), st->index, facts->tag,
				 NULL, st->location,
				 psprintf("%s on a Citus table takes its locks on %s", facts->tag, note));
	lint_long_identifiers(state, st);
	lint_stage_it(state, st, facts, rv, is_new, first);
	return facts;
}

/*
 * Lint one script (List of ScriptStatement) that runs in one transaction
 * or, unless "transactional", one statement per transaction.  "state"
 * carries what earlier scripts created; pass a zeroed LintState for a
 * script on its own.  Returns the findings (List of LintFinding) of this
 * script, in statement order.
 */
List *
lint_script(List *statements, LintState *state, bool transactional)
{
	ListCell   *lc;

	lint_begin_script(state, transactional, statements);
	foreach(lc, statements)
		(void) lint_statement(state, lfirst(lc), 0);
	return state->findings;
}

/*
 * The destructive findings of a down script that destroy rows its up
 * script did not create: the down script is linted as if it ran in the up
 * script's transaction, so dropping what the up script created (tables,
 * indexes, columns, named constraints, triggers, policies, ...) is no
 * finding, and deleting from a table the up script inserts into (a seed's
 * down) is not counted.  Findings that keep every row (DROP INDEX of an
 * index named by PostgreSQL, DROP CONSTRAINT, DROP DEFAULT, RENAME, ...)
 * are not counted either: they were always a down script's business.
 * What is left destroys data that existed before the migration: such a
 * migration is destructive, whatever its up script is, and its rollback
 * needs a plan as much as its apply would.
 */
static bool
rule_keeps_rows(const char *rule_id)
{
	static const char *const kinds[] = {
		"drop_index", "drop_constraint", "drop_default", "drop_not_null",
		"drop_trigger", "drop_function", "drop_other", "drop_view", "drop_type",
		"rename", "set_schema", "disable_trigger", "disable_rule",
		"disable_row_security", "unpublish", "replace_trigger",
		"alter_extension_add", "drop_role", "drop_tablespace", "refresh_no_data",
	};
	int			i;

	for (i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i], rule_id) == 0)
			return true;
	return false;
}

List *
lint_down_script(List *up_statements, List *down_statements)
{
	LintState	state = {0};
	ListCell   *lc;
	List	   *inserted = NIL;
	List	   *result = NIL;

	/* the tables the up script inserts into: a seed's down deletes them */
	foreach(lc, up_statements)
	{
		Node	   *stmt = ((ScriptStatement *) lfirst(lc))->raw->stmt;

		if (IsA(stmt, InsertStmt))
			inserted = lappend(inserted, relation_name(((InsertStmt *) stmt)->relation));
	}
	(void) lint_script(up_statements, &state, true);
	state.findings = NIL;
	state.ctx->upcoming = down_statements;
	foreach(lc, down_statements)
		(void) lint_statement(&state, lfirst(lc), 0);
	foreach(lc, state.findings)
	{
		LintFinding *f = lfirst(lc);
		ListCell   *ic;
		bool		seeded = false;

		if (f->rule->kind != MIGRATION_DESTRUCTIVE || rule_keeps_rows(f->rule->id))
			continue;
		if (strcmp(f->rule->id, "delete_rows") == 0 && f->object)
			foreach(ic, inserted)
				if (strcmp((char *) lfirst(ic), f->object) == 0)
					seeded = true;
		if (!seeded)
			result = lappend(result, f);
	}
	return result;
}

/*
 * The highest kind among "findings" (List of LintFinding).
 */
MigrationKind
lint_findings_kind(List *findings)
{
	MigrationKind kind = MIGRATION_ADDITIVE;
	ListCell   *lc;

	foreach(lc, findings)
	{
		LintFinding *f = lfirst(lc);

		if (f->rule->kind > kind)
			kind = f->rule->kind;
	}
	return kind;
}

/*
 * The findings as a JSON array, for migrations.findings.
 */
char *
lint_findings_json(List *findings)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, findings)
	{
		LintFinding *f = lfirst(lc);

		if (buf.len > 1)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "{\"statement\": %d, \"rule\": ", f->statement);
		escape_json(&buf, f->rule->id);
		appendStringInfoString(&buf, ", \"kind\": ");
		escape_json(&buf, migration_kind_name(f->rule->kind));
		appendStringInfoString(&buf, ", \"severity\": ");
		escape_json(&buf, lint_finding_severity(f));
		appendStringInfoString(&buf, ", \"tag\": ");
		escape_json(&buf, f->tag);
		if (f->object)
		{
			appendStringInfoString(&buf, ", \"object\": ");
			escape_json(&buf, f->object);
		}
		appendStringInfoString(&buf, ", \"message\": ");
		escape_json(&buf, f->message);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * migrator.lint(sql text) RETURNS TABLE (rule, severity, statement,
 * location, message, hint).  location is the 1-based character position
 * in "sql", as in the server's error cursor.  A script with a statement
 * that needs autocommit runs one statement per transaction (register()
 * requires transactional => false for it).
 */
Datum
migrator_lint(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *sql;
	List	   *statements;
	bool		transactional = true;
	LintState	state = {0};
	ListCell   *lc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sql must not be null")));
	sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, 0);

	statements = script_parse(sql, "script");
	foreach(lc, statements)
		if (statement_needs_autocommit(((ScriptStatement *) lfirst(lc))->raw->stmt))
			transactional = false;
	foreach(lc, lint_script(statements, &state, transactional))
	{
		LintFinding *f = lfirst(lc);
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = CStringGetTextDatum(f->rule->id);
		values[1] = CStringGetTextDatum(lint_finding_severity(f));
		values[2] = Int32GetDatum(f->statement);
		values[3] = Int32GetDatum(pg_mbstrlen_with_len(sql, f->location) + 1);
		values[4] = CStringGetTextDatum(f->message);
		values[5] = CStringGetTextDatum(migrator_rule_hint(f->rule));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
