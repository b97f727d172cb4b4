/*-------------------------------------------------------------------------
 *
 * staged_spec.h
 *	  What a staged change does: the statement given to stage() as the
 *	  parser reads it (StagedRequest), and resolved against the catalog into
 *	  the SQL of every phase (StagedSpec).  See staged_spec.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_STAGED_SPEC_H
#define MIGRATOR_STAGED_SPEC_H

#include "nodes/parsenodes.h"

#include "staged_parse.h"

/* Directions of the scripts a staged change runs (the guard permits them). */
#define STAGED_EXPAND	"expand"
#define STAGED_COMPLETE "complete"
#define STAGED_ABORT	"abort"
#define STAGED_SYNC		"versioned schemas"

/*
 * A staged change resolved against the catalog when it expands (or, for
 * plan(), when it would): names, the SQL of every phase, and what is
 * stored in staged_changes.spec for the later phases.
 */
typedef struct StagedSpec
{
	const char *version;
	StagedRequest *req;
	Oid			relid;
	char	   *nspname;
	char	   *relname;
	char	   *qualified;		/* quoted schema.table */
	char	   *new_relname;	/* RENAME TO, else relname */
	char	   *old_schema;		/* version schema of the old shape */
	char	   *old_version;	/* version it is named after, or NULL */
	char	   *new_schema;		/* version schema of the new shape */
	char	   *function;		/* quoted, qualified trigger function */
	char	   *trigger;		/* trigger name (unquoted) */
	List	   *view_columns;	/* StagedViewColumn: the new shape's changes */
	List	   *drop_names;		/* char *: columns hidden from the new shape */
	char	   *expand_sql;
	char	   *expand_late_sql;	/* the part of expand_sql that runs after
									 * the trigger (its second step), or NULL */
	char	   *backfill_set;	/* NULL: nothing to backfill */
	char	   *backfill_filter;
	char	   *constrain_sql;	/* after the backfill: NOT VALID constraints */
	List	   *index_sql;		/* char *: CREATE INDEX CONCURRENTLY, one each */
	List	   *index_sql_blocking; /* the same without CONCURRENTLY (apply()) */
	List	   *index_names;	/* char *: quoted, qualified */
	char	   *validate_sql;
	char	   *complete_sql;
	char	   *abort_sql;
	char	   *down_sql;		/* rollback() of the completed change */
	char	   *describe;		/* one line, for events and plan() */
	char	   *function_head;	/* trigger body before the schema array */
	char	   *function_tail;	/* and after it (NULL: no array) */
	/* a foreign key with a fix-up: its up is written once it exists */
	char	   *fk_pkqual;
	char	   *fk_name;
	List	   *fk_pkcols;		/* char *: the referenced columns */
	struct Reshape *reshape;	/* staged_spec.c's working state (reshaping
								 * changes and constraint changes with a
								 * fix-up) */
	struct Resolver *resolver;
} StagedSpec;

/* A column of the new shape that is not the old one's under its name. */
typedef struct StagedViewColumn
{
	char	   *name;			/* name in the new shape */
	char	   *real;			/* column of the table while in flight */
	char	   *view_default;	/* default of the new shape's view, or NULL */
	bool		added;			/* not in the old shape at all */
} StagedViewColumn;

extern StagedSpec *staged_resolve(const char *version, StagedRequest *req,
								  bool missing_ok);
extern StagedSpec *staged_resolve_expanding(const char *version, StagedRequest *req);
extern void staged_finish(StagedSpec *spec, bool dry_run);
extern void staged_render_down(StagedSpec *spec);
extern char *staged_function_sql(const char *function, const char *head,
								 const char *tail, List *schemas);
extern char *staged_spec_json(StagedSpec *spec);
extern char *staged_version_schema_name(const char *nspname, const char *version);

#endif							/* MIGRATOR_STAGED_SPEC_H */
