/*-------------------------------------------------------------------------
 *
 * citus.h
 *	  migrator on a Citus cluster (docs/citus.md): everything that knows
 *	  about Citus.
 *
 * Citus is detected at run time through the catalog (the citus extension,
 * the pg_dist_* tables and Citus's SQL functions); migrator never links to
 * it.  Every function here returns "no" cheaply when Citus is not installed
 * in the current database.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_CITUS_H
#define MIGRATOR_CITUS_H

#include "nodes/pg_list.h"

#include "migrator.h"
#include "analyze.h"
#include "rules.h"

/* migrator's refusal when an authority cannot be issued (citus.c) */

extern void CitusInit(void);

extern bool citus_present(void);

/* Citus metadata of one relation */
extern bool citus_relation_is_distributed(Oid relid);
extern char *citus_statement_note(StatementFacts *facts);
extern void citus_hide_shards(void);

/* the guard */
extern bool citus_maintenance_statement(StatementFacts *facts);
extern bool citus_authority_covers(const char *rule, const char *object,
								   const char *tag);
extern void citus_authorize(StatementFacts *facts, List *findings);
extern char *citus_refusal_detail(void);
extern char *citus_refusal_hint(const RuleFinding *f, const char *statement);

#endif							/* MIGRATOR_CITUS_H */
