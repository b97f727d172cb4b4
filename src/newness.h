/*-------------------------------------------------------------------------
 *
 * newness.h
 *	  The two oracles of "is this object new": by name and by catalog.
 *
 * A destructive statement destroys nothing when what it acts on, and
 * everything it reaches from there (partitions and inheritance children,
 * typed tables, owned sequences, tables a TRUNCATE cascades to), is
 * temporary or was created in the current transaction.  analyze.c asks the
 * questions; an oracle answers them:
 *
 *	by name		lint(), plan(), register(): created by an earlier statement
 *				of the same script (or of an earlier pending migration),
 *				matched by name; what the script attaches, inherits, types
 *				or references is noted as it goes.  The catalog shows what
 *				exists before the script runs.
 *	by catalog	the guard: the catalog rows were inserted by the current
 *				transaction (their xmin), or live in a temporary schema.
 *
 * Newness for destruction is per transaction: the by-name oracle starts a
 * new one at each COMMIT or ROLLBACK of a script, after each statement of a
 * non-transactional migration (each runs in a transaction of its own), and
 * with each migration of a plan.  What an earlier transaction of the same
 * script created still counts as new for the hazards (it holds no rows
 * yet), not for destruction (it was committed, others may have written it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_NEWNESS_H
#define MIGRATOR_NEWNESS_H

#include "nodes/parsenodes.h"

typedef struct Oracle Oracle;

/* Kinds of objects the by-name oracle remembers. */
typedef enum NewKind
{
	NEW_RELATION,				/* table, view, sequence, index, composite type */
	NEW_TYPE,					/* type or domain */
	NEW_FUNCTION,				/* function, procedure, aggregate */
	NEW_SCHEMA,
	NEW_TRIGGER,				/* trigger on a relation */
	NEW_RULE,					/* rule on a relation */
	NEW_PUBLICATION,
	NEW_POLICY,					/* policy on a relation */
	NEW_EXTENSION,
	NEW_STATISTICS,				/* extended statistics object */
	NEW_COLUMN,					/* column added to a relation */
	NEW_CONSTRAINT				/* constraint added to a relation */
} NewKind;

/* How one relation reaches another (noted by the by-name oracle). */
typedef enum NewLink
{
	LINK_CHILD,					/* partition or inheritance child */
	LINK_TYPED,					/* table typed by a composite type */
	LINK_OWNED,					/* sequence owned by a table's column */
	LINK_REFERENCED_BY			/* table with a foreign key to it */
} NewLink;

extern Oracle *oracle_by_name(void);
extern Oracle *oracle_by_catalog(Oid (*own_namespace_lookup) (void));
extern bool oracle_is_by_catalog(Oracle *o);
extern Oid	oracle_own_namespace(Oracle *o);

/* By name: a new transaction begins (see above). */
extern void oracle_next_transaction(Oracle *o);

/* By name: what a statement created, linked or redefined. */
extern void oracle_note_created(Oracle *o, NewKind kind, List *names,
								RangeVar *on, bool temporary);
extern void oracle_note_relation(Oracle *o, RangeVar *rv);
extern void oracle_note_link(Oracle *o, NewLink link, RangeVar *from,
							 RangeVar *to);
extern void oracle_note_redefined(Oracle *o, const char *identity);

/* Created earlier in the script, whatever the transaction (hazards, locks). */
extern bool oracle_relation_is_new(Oracle *o, RangeVar *rv);

/* The exemption questions. */
extern bool oracle_relation_exempt(Oracle *o, RangeVar *rv, bool inh);
extern bool oracle_truncate_exempt(Oracle *o, TruncateStmt *ts);
extern bool oracle_index_exempt(Oracle *o, RangeVar *rv, List **invalid);
extern bool oracle_type_exempt(Oracle *o, TypeName *type);
extern bool oracle_function_exempt(Oracle *o, ObjectType objtype,
								   ObjectWithArgs *func);
extern bool oracle_schema_exempt(Oracle *o, const char *name);
extern bool oracle_trigger_exempt(Oracle *o, RangeVar *rel, const char *name);
extern bool oracle_rule_exempt(Oracle *o, RangeVar *rel, const char *name);
extern List *oracle_cascade_victims(Oracle *o);
extern bool oracle_other_object_exempt(Oracle *o, ObjectType objtype,
									   Node *object);
extern bool oracle_named_object_exempt(Oracle *o, ObjectType objtype,
									   Node *object);
extern bool oracle_role_exempt(Oracle *o, RoleSpec *role);
extern bool oracle_column_exempt(Oracle *o, RangeVar *rel, const char *column);
extern bool oracle_constraint_exempt(Oracle *o, RangeVar *rel,
									 const char *conname);
extern bool oracle_sequence_restart_exempt(Oracle *o, RangeVar *rel,
										   const char *column, List *options);
extern bool oracle_replaced_trigger_exempt(Oracle *o, RangeVar *rel,
										   const char *name);
extern bool oracle_publication_exempt(Oracle *o, const char *name);

/* By catalog, for the objects a statement drops (the guard's policy). */
extern bool catalog_object_is_new(Oid classid, Oid objid);
extern bool catalog_column_is_new(Oid relid, int32 attnum);
extern bool catalog_object_is_exempt(Oid classid, Oid objid);
extern bool catalog_relid_is_exempt(Oid relid);
extern bool catalog_object_is_extension_member(Oid classid, Oid objid);
extern void catalog_note_owned_by(void);

#endif							/* MIGRATOR_NEWNESS_H */
