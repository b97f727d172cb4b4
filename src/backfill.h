/*-------------------------------------------------------------------------
 *
 * backfill.h
 *	  CALL migrator.backfill(), and its body for staged changes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_BACKFILL_H
#define MIGRATOR_BACKFILL_H

/*
 * UPDATE "relid" SET "set" [WHERE "filter"] in key-ordered batches of
 * "batch_size", committing after each, resuming an interrupted run with
 * the same arguments.  The caller runs in a non-atomic context.
 */
extern void backfill_relation(Oid relid, const char *set, const char *filter,
							  int32 batch_size, const char *key, bool restart);
extern bool backfill_relation_has_key(Oid relid);
extern char *backfill_relation_key_text(Oid relid);

#endif							/* MIGRATOR_BACKFILL_H */
