/*-------------------------------------------------------------------------
 *
 * staged_parse.h
 *	  The statement given to migrator.stage(), as the parser reads it
 *	  (staged_parse.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_STAGED_PARSE_H
#define MIGRATOR_STAGED_PARSE_H

#include "nodes/parsenodes.h"

/* What one statement given to stage() changes. */
typedef enum StagedOp
{
	STAGED_RENAME_COLUMN,
	STAGED_RENAME_TABLE,
	STAGED_RESHAPE,				/* ADD COLUMN, DROP COLUMN, ALTER COLUMN TYPE */
	STAGED_SET_NOT_NULL,
	STAGED_ADD_CHECK,
	STAGED_ADD_FOREIGN_KEY,
	STAGED_ADD_UNIQUE
} StagedOp;

/* A column the new shape has and the old one has not. */
typedef struct StagedAdd
{
	char	   *name;			/* its name in the new shape */
	TypeName   *type;
	CollateClause *collate;
	Node	   *default_expr;	/* raw DEFAULT, or NULL */
	bool		not_null;
	Node	   *up;				/* raw up expression (up => or USING) */
	char	   *replaces;		/* ALTER COLUMN TYPE: the old column */
} StagedAdd;

/* A column the old shape has and the new one has not. */
typedef struct StagedDrop
{
	char	   *name;
	Node	   *down;			/* raw down expression, or NULL */
} StagedDrop;

/*
 * A statement given to stage(), with its up and down expressions, as the
 * parser reads it: no catalog access, so that a change can be staged
 * before the migrations that create its table are applied.
 */
typedef struct StagedRequest
{
	StagedOp	op;
	const char *operation;		/* staged_changes.operation */
	RangeVar   *relation;
	char	   *from_name;		/* RENAME: old and new name */
	char	   *to_name;
	List	   *adds;			/* StagedAdd */
	List	   *drops;			/* StagedDrop */
	char	   *column;			/* SET NOT NULL */
	Constraint *constraint;		/* ADD CONSTRAINT */
	List	   *fix;			/* ResTarget: up of a constraint change */
} StagedRequest;

/*
 * Parse the statement given to stage() and its up and down expressions;
 * refuses (MG012) what stage() does not run.
 */
extern StagedRequest *staged_parse(const char *statement, const char *up,
								   const char *down);

/* Would stage() take this statement?  (lint's hint "stage it") */
extern bool staged_statement_is_supported(Node *stmt);

/* The list of what stage() runs, for errors and hints. */
extern const char *staged_supported_text(void);

/* Refuse: stage() does not run "what" ("why": a detail, or NULL). */
pg_noreturn extern void staged_unsupported(const char *what, const char *why);

/* One expression of up or down, as the parser reads it. */
extern Node *staged_parse_expression(const char *text, const char *what);

/* "a, b, c" of a List of char *. */
extern char *staged_names_text(List *names);

#endif							/* MIGRATOR_STAGED_PARSE_H */
