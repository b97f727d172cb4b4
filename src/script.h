/*-------------------------------------------------------------------------
 *
 * script.h
 *	  Migration scripts: split with the server's parser, checksummed, and
 *	  run statement by statement through SPI.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_SCRIPT_H
#define MIGRATOR_SCRIPT_H

#include "nodes/parsenodes.h"
#include "utils/resowner.h"

/* One statement of a script. */
typedef struct ScriptStatement
{
	int			index;			/* 1-based position in the script */
	int			location;		/* byte offset of the statement in the script */
	char	   *sql;			/* the statement's own text */
	RawStmt    *raw;			/* its raw parse tree */
} ScriptStatement;

/* "sql" as a List of ScriptStatement; "what" names it in a syntax error. */
extern List *script_parse(const char *sql, const char *what);
extern bool script_is_blank(const char *sql);
extern char *script_checksum(const char *sql);
extern void script_execute(const char *sql, const char *version,
						   const char *what);
extern void script_execute_statements(List *statements, const char *version,
									  const char *what);

/* Statement boundaries as register() stores them (an int4[] datum). */
extern Datum script_bounds(List *statements);
extern List *script_from_bounds(const char *sql, Datum bounds);

/* In PG_CATCH of an internal subtransaction: roll it back, return the error. */
extern ErrorData *subtransaction_abort(MemoryContext oldcxt,
									   ResourceOwner oldowner);

#endif							/* MIGRATOR_SCRIPT_H */
