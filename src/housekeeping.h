/*-------------------------------------------------------------------------
 *
 * housekeeping.h
 *	  What DROP EXTENSION migrator says and leaves behind (housekeeping.c);
 *	  the guard's hook calls these around the statement.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_HOUSEKEEPING_H
#define MIGRATOR_HOUSEKEEPING_H

#include "nodes/nodes.h"

/* "12 migrations, 340 events and 2 exemptions", in TopTransactionContext. */
extern char *housekeeping_history_size(void);

/* allow() of such a statement: the history goes with it. */
extern void housekeeping_warn_uninstall(void);

/* After such a statement: say what went, drop the schema when empty. */
extern void housekeeping_after_uninstall(const char *size);

#endif							/* MIGRATOR_HOUSEKEEPING_H */
