/*-------------------------------------------------------------------------
 *
 * script.c
 *	  Migration scripts: parsing with the server's parser, checksums, and
 *	  execution statement by statement.
 *
 * A script is split with raw_parser(), never with regular expressions, so
 * that dollar quoting, comments and string literals are understood exactly
 * as the server understands them.  Each statement is then executed on its
 * own through SPI with the caller's rights, so that an error can name the
 * statement that failed; the error keeps its SQLSTATE, and its position is
 * reported relative to the statement (as PL/pgSQL does).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "parser/scansup.h"
#include "utils/array.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "migrator.h"
#include "script.h"

/* Longest statement text quoted in an error context line. */
#define CONTEXT_STATEMENT_CHARS 200

/*
 * Parse "sql" into raw statements.  A syntax error is re-raised
 * with its position inside the script (as an internal query, so that psql
 * shows the script's line, not the calling query's) and with a context line
 * saying which script it was ("what").
 */
static List *
parse_or_rethrow(const char *sql, const char *what)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	List	   *volatile raw = NIL;

	PG_TRY();
	{
		raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		if (edata->cursorpos > 0)
		{
			edata->internalpos = edata->cursorpos;
			edata->internalquery = pstrdup(sql);
			edata->cursorpos = 0;
		}
		if (what)
		{
			char	   *ctx = psprintf("while parsing the %s", what);

			edata->context = edata->context
				? psprintf("%s\n%s", edata->context, ctx) : ctx;
		}
		ReThrowError(edata);
	}
	PG_END_TRY();
	return raw;
}

/*
 * Parse "sql" into a list of ScriptStatement.
 */
List *
script_parse(const char *sql, const char *what)
{
	List	   *raw = parse_or_rethrow(sql, what);
	List	   *result = NIL;
	ListCell   *lc;
	int			index = 0;
	int			sqllen = strlen(sql);

	foreach(lc, raw)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		ScriptStatement *st = palloc0(sizeof(ScriptStatement));
		int			start = rs->stmt_location;
		int			end = rs->stmt_len > 0 ? start + rs->stmt_len : sqllen;

		/* The statement's text starts at its first token, not before. */
		while (start < end && scanner_isspace(sql[start]))
			start++;
		st->index = ++index;
		st->location = start;
		st->sql = pnstrdup(sql + start, end - start);
		st->raw = rs;
		result = lappend(result, st);
	}
	return result;
}

/*
 * What the split of a script depends on besides its text: the server's
 * major version (its grammar) and standard_conforming_strings (whether a
 * backslash ends a string literal).  Stored as the first element of the
 * boundaries, so that boundaries are used only under the parser that
 * found them.
 */
static int32
script_parser_stamp(void)
{
	return PG_MAJORVERSION_NUM * 2 + (standard_conforming_strings ? 1 : 0);
}

/*
 * The statement boundaries of a script split by script_parse(), as the
 * int4[] register() stores: the parser stamp, then the byte offsets of
 * the start and the end of each statement in turn, so that apply() need
 * not split the script again.
 */
Datum
script_bounds(List *statements)
{
	Datum	   *elems = palloc(sizeof(Datum) * (2 * list_length(statements) + 1));
	int			n = 0;
	ListCell   *lc;

	elems[n++] = Int32GetDatum(script_parser_stamp());
	foreach(lc, statements)
	{
		ScriptStatement *st = lfirst(lc);

		elems[n++] = Int32GetDatum(st->location);
		elems[n++] = Int32GetDatum(st->location + (int) strlen(st->sql));
	}
	return PointerGetDatum(construct_array(elems, n, INT4OID, sizeof(int32),
										   true, TYPALIGN_INT));
}

/*
 * The statements of "sql" (without parse trees) from the boundaries
 * script_bounds() made of it, or NIL when they cannot be used: another
 * parser stamp, or offsets that do not fit the text.  The caller has
 * proved with the checksum stored beside them that "sql" is the text they
 * were computed from; a script without statements gives NIL too, and is
 * split again at no cost.
 */
List *
script_from_bounds(const char *sql, Datum bounds)
{
	ArrayType  *arr = DatumGetArrayTypeP(bounds);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			len = strlen(sql);
	int			prev = 0;
	List	   *result = NIL;
	int			i;

	if (ARR_NDIM(arr) != 1 || ARR_ELEMTYPE(arr) != INT4OID)
		return NIL;
	deconstruct_array(arr, INT4OID, sizeof(int32), true, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n < 1 || n % 2 != 1 || nulls[0] ||
		DatumGetInt32(elems[0]) != script_parser_stamp())
		return NIL;
	for (i = 1; i < n; i += 2)
	{
		ScriptStatement *st;
		int			start;
		int			end;

		if (nulls[i] || nulls[i + 1])
			return NIL;
		start = DatumGetInt32(elems[i]);
		end = DatumGetInt32(elems[i + 1]);
		if (start < prev || end <= start || end > len)
			return NIL;
		st = palloc0(sizeof(ScriptStatement));
		st->index = (i + 1) / 2;
		st->location = start;
		st->sql = pnstrdup(sql + start, end - start);
		result = lappend(result, st);
		prev = end;
	}
	return result;
}

/*
 * True when "sql" holds no statement at all (empty, blanks or comments).
 * Invalid SQL raises the parser's error.
 */
bool
script_is_blank(const char *sql)
{
	return sql == NULL || script_parse(sql, NULL) == NIL;
}

/*
 * Hex SHA-256 of "sql", computed with the server's cryptohash API.
 */
char *
script_checksum(const char *sql)
{
	static const char hexdigits[] = "0123456789abcdef";
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	int			i;

	if (ctx == NULL ||
		pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) sql, strlen(sql)) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
	{
		const char *reason = ctx ? pg_cryptohash_error(ctx) : "out of memory";

		pg_cryptohash_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute SHA-256 checksum: %s", reason)));
	}
	pg_cryptohash_free(ctx);

	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		hex[i * 2] = hexdigits[digest[i] >> 4];
		hex[i * 2 + 1] = hexdigits[digest[i] & 0x0f];
	}
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return hex;
}

/* What the error context callback of script_execute() reports. */
typedef struct ScriptErrorContext
{
	const char *version;
	const char *what;
	ScriptStatement *statement;
} ScriptErrorContext;

static void
script_error_callback(void *arg)
{
	ScriptErrorContext *ctx = (ScriptErrorContext *) arg;
	ScriptStatement *st = ctx->statement;
	int			pos = geterrposition();
	const char *text = st->sql;
	char	   *shown;

	/* Report a position relative to the statement, like PL/pgSQL does. */
	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery(st->sql);
	}

	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	if (strlen(text) > CONTEXT_STATEMENT_CHARS)
		shown = psprintf("%.*s...",
						 pg_mbcliplen(text, strlen(text), CONTEXT_STATEMENT_CHARS),
						 text);
	else
		shown = pstrdup(text);

	errcontext("migration %s, %s statement %d: %s",
			   ctx->version, ctx->what, st->index, shown);
}

/*
 * Execute "sql" statement by statement through SPI, with the caller's
 * rights.  The caller has done SPI_connect().  An error raised by a
 * statement keeps its SQLSTATE and gains a context line naming the
 * migration, the script ("up", "down") and the statement.
 */
void
script_execute(const char *sql, const char *version, const char *what)
{
	script_execute_statements(script_parse(sql, what), version, what);
}

/*
 * script_execute() of statements split already ("statements", List of
 * ScriptStatement; their parse trees are not needed).
 */
void
script_execute_statements(List *statements, const char *version,
						  const char *what)
{
	ListCell   *lc;
	ScriptErrorContext ctx;
	ErrorContextCallback callback;

	ctx.version = version;
	ctx.what = what;
	callback.callback = script_error_callback;
	callback.arg = &ctx;

	foreach(lc, statements)
	{
		ScriptStatement *st = lfirst(lc);
		int			rc;

		CHECK_FOR_INTERRUPTS();

		ctx.statement = st;
		callback.previous = error_context_stack;
		error_context_stack = &callback;

		rc = SPI_execute(st->sql, false, 0);
		if (rc < 0)
			ereport(ERROR,
					(errcode(ERRCODE_MIGRATOR_BAD_SCRIPT),
					 errmsg("statement cannot be executed by migrator: %s",
							SPI_result_code_string(rc)),
					 errhint("Transaction control and COPY to or from the client are not allowed in migrations.")));

		error_context_stack = callback.previous;
	}
}

/*
 * In the PG_CATCH block of an internal subtransaction (begun with
 * BeginInternalSubTransaction() in memory context "oldcxt" under resource
 * owner "oldowner"): copy the error, roll the subtransaction back, and
 * return to the caller's context and owner.  Returns the error, for the
 * caller to report or raise again.
 */
ErrorData *
subtransaction_abort(MemoryContext oldcxt, ResourceOwner oldowner)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(oldcxt);
	edata = CopyErrorData();
	FlushErrorState();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return edata;
}
