/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Differences between the PostgreSQL versions migrator builds against.
 *
 * This is the only file that tests PG_VERSION_NUM.  When a server API
 * changes between major versions (a function gains an argument, a node
 * field is renamed, a header moves), the difference is bridged here once,
 * under the name the newest version uses, and the modules call that name
 * without knowing which server they are built for.  It is included through
 * migrator.h, which every file includes right after postgres.h.
 *
 * Built and tested: 15, 16 and 18 (docs/versions.md).  17 and 19 are
 * expected to work: every difference below is tested at the version that
 * introduced it (17 for what 17 and 18 share), so a 17 build takes the
 * same branches as 18 except where 18 itself differs.
 *
 * Two kinds of bridges:
 *	- server API: a function or macro under its newest signature, rewritten
 *	  for older servers (the declaration is included first, so that the
 *	  macro does not rewrite it);
 *	- parse trees: questions about a node whose layout differs ("is this
 *	  generated column virtual?"), answered with the older versions' fixed
 *	  answer where the feature does not exist.  Which statements and
 *	  subcommands exist, and how each is judged, is in analyze.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_COMPAT_H
#define MIGRATOR_COMPAT_H

#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_publication.h"
#include "nodes/parsenodes.h"
#include "parser/scanner.h"
#include "storage/lock.h"
#include "tcop/pquery.h"
#include "utils/lsyscache.h"

/*
 * 16 moved the varlena macros (VARDATA, SET_VARSIZE, ...) out of
 * postgres.h into varatt.h.
 */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * 16 stopped installing parser/gram.h, which holds the grammar's token
 * codes; the scanner (parser/scanner.h) is still installed.  The code of
 * an identifier token is what the scanner returns for one, asked once: the
 * same answer on every version, with no header of the grammar.
 */
static inline int
scanner_ident_token(void)
{
	static int	ident = 0;

	if (ident == 0)
	{
		core_yy_extra_type extra;
		core_YYSTYPE yylval;
		YYLTYPE		yylloc;
		core_yyscan_t scanner;

		scanner = scanner_init("migrator_identifier", &extra, &ScanKeywords,
							   ScanKeywordTokens);
		ident = core_yylex(&yylval, &yylloc, scanner);
		scanner_finish(scanner);
	}
	return ident;
}

/*
 * 18 replaced pg_attribute_noreturn(), written after a declaration, by
 * pg_noreturn, written before it (C11's _Noreturn where available).
 */
#if PG_VERSION_NUM < 180000
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define pg_noreturn _Noreturn
#else
#define pg_noreturn pg_attribute_noreturn()
#endif
#endif

/*
 * 17 gave LockHeldByMe() a third argument: whether a stronger mode than the
 * one asked for counts.  Lock modes are numbered by strength, as 17's own
 * implementation assumes.
 */
#if PG_VERSION_NUM < 170000
static inline bool
compat_lock_held_by_me(const LOCKTAG *locktag, LOCKMODE lockmode, bool orstronger)
{
	LOCKMODE	mode;

	if (LockHeldByMe(locktag, lockmode))
		return true;
	for (mode = lockmode + 1; orstronger && mode <= MaxLockMode; mode++)
		if (LockHeldByMe(locktag, mode))
			return true;
	return false;
}
#define LockHeldByMe(locktag, lockmode, orstronger) \
	compat_lock_held_by_me((locktag), (lockmode), (orstronger))
#endif

/*
 * 17 made getIdentitySequence() take the relation (a partition's identity
 * is the sequence of its topmost parent).  Callers name the table by OID:
 * it is opened for the lookup only, its lock released at once.
 */
static inline Oid
identity_sequence(Oid relid, AttrNumber attnum, bool missing_ok)
{
#if PG_VERSION_NUM >= 170000
	Relation	rel = try_relation_open(relid, AccessShareLock);
	Oid			seqid;

	if (rel == NULL)
	{
		if (!missing_ok)
			elog(ERROR, "could not open relation with OID %u", relid);
		return InvalidOid;
	}
	seqid = getIdentitySequence(rel, attnum, missing_ok);
	relation_close(rel, AccessShareLock);
	return seqid;
#else
	return getIdentitySequence(relid, attnum, missing_ok);
#endif
}

/*
 * 18 dropped PortalRun()'s run_once argument (a portal is run once).
 */
#if PG_VERSION_NUM < 180000
#define PortalRun(portal, count, isTopLevel, dest, altdest, qc) \
	PortalRun((portal), (count), (isTopLevel), true, (dest), (altdest), (qc))
#endif

/*
 * ALTER TABLE subcommands that exist in some versions only.  The analyser
 * names every subcommand of every version in one switch (over the value as
 * an int, so that a name needs no enumerator); on a server without one, its
 * name is a value that no subcommand has, and its case is never taken.
 * 16 removed the *Recurse subcommands (internal to tablecmds.c), 17 added
 * SET EXPRESSION and removed AT_CheckNotNull (internal as well).
 */
#if PG_VERSION_NUM >= 160000
#define AT_AddColumnRecurse			(-1)
#define AT_DropColumnRecurse		(-2)
#define AT_AddConstraintRecurse		(-3)
#define AT_ValidateConstraintRecurse (-4)
#define AT_DropConstraintRecurse	(-5)
#endif
#if PG_VERSION_NUM < 170000
#define AT_SetExpression			(-6)
#else
#define AT_CheckNotNull				(-7)
#endif

/*
 * Has this raw UPDATE a RETURNING clause?  18 keeps it in a node of its
 * own (ReturningClause, with the OLD/NEW aliases) instead of a list.
 */
static inline bool
update_has_returning(const UpdateStmt *stmt)
{
#if PG_VERSION_NUM >= 180000
	return stmt->returningClause != NULL;
#else
	return stmt->returningList != NIL;
#endif
}

/*
 * Generated columns are stored, or from 18 on virtual (the default when
 * neither STORED nor VIRTUAL is written): a virtual one is computed when
 * read, so adding one rewrites nothing.
 */
static inline bool
constraint_is_virtual_generated(const Constraint *con)
{
#if PG_VERSION_NUM >= 180000
	return con->contype == CONSTR_GENERATED &&
		con->generated_kind == ATTRIBUTE_GENERATED_VIRTUAL;
#else
	return false;
#endif
}

/*
 * A generated column of an existing table: virtual (from 18 on), or
 * stored.  Changing a virtual one's expression rewrites nothing.
 */
static inline bool
column_is_virtual_generated(Oid relid, AttrNumber attnum)
{
#if PG_VERSION_NUM >= 180000
	return attnum != InvalidAttrNumber &&
		get_attgenerated(relid, attnum) == ATTRIBUTE_GENERATED_VIRTUAL;
#else
	return false;
#endif
}

/*
 * The constraint an ALTER CONSTRAINT (AT_AlterConstraint) makes NOT
 * ENFORCED, or NULL.  18 gives the subcommand a node of its own
 * (ATAlterConstraint) and lets CHECK and FOREIGN KEY constraints stop
 * being checked; before, it changes deferrability only.
 */
static inline const char *
alter_constraint_unenforces(const AlterTableCmd *cmd)
{
#if PG_VERSION_NUM >= 180000
	const ATAlterConstraint *ac = (const ATAlterConstraint *) cmd->def;

	if (ac != NULL && IsA(ac, ATAlterConstraint) &&
		ac->alterEnforceability && !ac->is_enforced)
		return ac->conname;
#endif
	return NULL;
}

/*
 * Can the replica identity serve what a table's publications publish:
 * its row filters read only identity columns, its column lists hold all
 * of them, and (18) the identity has no generated column left
 * unpublished?  Asked for UPDATE ("update") or DELETE.
 */
static inline bool
publication_desc_identity_serves(PublicationDesc *desc, bool update)
{
#if PG_VERSION_NUM >= 180000
	if (!(update ? desc->gencols_valid_for_update : desc->gencols_valid_for_delete))
		return false;
#endif
	return update ? desc->rf_valid_for_update && desc->cols_valid_for_update
		: desc->rf_valid_for_delete && desc->cols_valid_for_delete;
}

#endif							/* MIGRATOR_COMPAT_H */
