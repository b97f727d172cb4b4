/*-------------------------------------------------------------------------
 *
 * migrator.h
 *	  What every module of the migrator extension shares: its SQLSTATEs,
 *	  the kinds of migrations and the key of its advisory lock.
 *
 * Each module declares its own interface in a header of its own
 * (script.h, rules.h, analyze.h, history.h, session.h, apply.h, ...), so
 * that what a file uses shows in its includes; docs/design.md draws the
 * modules and their include arrows, and a test holds the picture true.
 * Every file includes this header right after postgres.h; it brings in
 * compat.h, the one place for differences between server versions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_H
#define MIGRATOR_H

#include "compat.h"

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
#define ERRCODE_MIGRATOR_NOT_STAGEABLE		MAKE_SQLSTATE('M','G','0','1','2')
#define ERRCODE_MIGRATOR_STAGED_STATE		MAKE_SQLSTATE('M','G','0','1','3')
#define ERRCODE_MIGRATOR_NO_CLUSTER_AUTHORITY	MAKE_SQLSTATE('M','G','0','1','4')

/*
 * The advisory lock that serialises migrator's state changes in one
 * database (history_lock(), and deploy() at session level).
 */
#define MIGRATOR_LOCK_KEY1	1835624306	/* 'migr' */
#define MIGRATOR_LOCK_KEY2	1635020658	/* 'ator' */

/* Migration kinds, in increasing order of risk (names in rules.c). */
typedef enum MigrationKind
{
	MIGRATION_ADDITIVE = 0,
	MIGRATION_STAGED,
	MIGRATION_DESTRUCTIVE
} MigrationKind;

#endif							/* MIGRATOR_H */
