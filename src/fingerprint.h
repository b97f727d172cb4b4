/*-------------------------------------------------------------------------
 *
 * fingerprint.h
 *	  Schema fingerprints: taken, compared, recorded for drift().
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_FINGERPRINT_H
#define MIGRATOR_FINGERPRINT_H

#include "nodes/pg_list.h"

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

#endif							/* MIGRATOR_FINGERPRINT_H */
