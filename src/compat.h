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
 * Nothing to bridge yet: migrator builds against PostgreSQL 15 only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATOR_COMPAT_H
#define MIGRATOR_COMPAT_H

#endif							/* MIGRATOR_COMPAT_H */
