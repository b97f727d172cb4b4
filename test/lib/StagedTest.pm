# Helpers of the staged-change TAP tests (test/t/05*_staged*.pl): clients
# that keep writing and reading a table through one version's schema while
# a change runs, each call of their step function a transaction of its own,
# errors counted (and logged) instead of raised.
package StagedTest;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Exporter 'import';

our @EXPORT = qw(client_setup start_client stop_client client_counts
  client_errors wait_calls fingerprint);

# In database $db: public.client_ctl (one row per client: stop flag, calls,
# errors), public.client_errors, and CALL public.run_client(name, step),
# which calls public.<step>() until its stop flag is set.  Each call runs
# with the session's search_path (EXECUTE), so a client sees the version
# schema as soon as it exists, and falls back to the tables when it goes.
sub client_setup
{
	my ($node, $db) = @_;
	$node->safe_psql($db, q{
		CREATE TABLE public.client_ctl (client text PRIMARY KEY,
			stop boolean NOT NULL DEFAULT false,
			calls integer NOT NULL DEFAULT 0, errors integer NOT NULL DEFAULT 0);
		CREATE TABLE public.client_errors (client text, sqlstate text, message text, context text);
		CREATE PROCEDURE public.run_client(name text, step text) LANGUAGE plpgsql AS $$
		DECLARE
			v_calls integer := 0;
			v_errors integer := 0;
			v_stop boolean;
			v_context text;
		BEGIN
			INSERT INTO public.client_ctl AS c (client) VALUES (name)
				ON CONFLICT (client) DO UPDATE SET stop = false, calls = 0, errors = 0;
			COMMIT;
			LOOP
				SELECT c.stop INTO v_stop FROM public.client_ctl AS c WHERE c.client = name;
				EXIT WHEN v_stop;
				BEGIN
					EXECUTE format('SELECT public.%I()', step);
					v_calls := v_calls + 1;
				EXCEPTION WHEN OTHERS THEN
					GET STACKED DIAGNOSTICS v_context = PG_EXCEPTION_CONTEXT;
					v_errors := v_errors + 1;
					INSERT INTO public.client_errors VALUES (name, SQLSTATE, SQLERRM, v_context);
				END;
				UPDATE public.client_ctl AS c SET calls = v_calls, errors = v_errors
				 WHERE c.client = name;
				COMMIT;
			END LOOP;
		END $$;
	});
	return;
}

# Wait until client $name made $n calls in all.
sub wait_calls
{
	my ($node, $db, $name, $n) = @_;
	$node->poll_query_until($db,
		"SELECT calls + errors >= $n FROM public.client_ctl WHERE client = '$name'")
	  or die "client $name made fewer than $n calls";
	return;
}

# Start client $name on search_path $path, calling public.$step(); returns
# once it made a few calls.
sub start_client
{
	my ($node, $db, $name, $path, $step) = @_;
	my $session = $node->background_psql($db, on_error_stop => 0);
	$session->query_safe("SET search_path = $path");
	$session->query_until(qr/started/,
		"\\echo started\nCALL public.run_client('$name', '$step');\n");
	wait_calls($node, $db, $name, 5);
	return $session;
}

sub stop_client
{
	my ($node, $db, $name, $session) = @_;
	$node->safe_psql($db, "UPDATE public.client_ctl SET stop = true WHERE client = '$name'");
	$session->quit;
	return;
}

# "calls,errors" of client $name.
sub client_counts
{
	my ($node, $db, $name) = @_;
	return $node->safe_psql($db,
		"SELECT calls || ',' || errors FROM public.client_ctl WHERE client = '$name'");
}

# The errors client $name logged, each with the statement
# it came from (an error that should not happen, such as the XX000 "cache
# lookup failed for type 2139062143" 050 met once on 16.2, says where).
sub client_errors
{
	my ($node, $db, $name) = @_;
	return $node->safe_psql($db,
		"SELECT string_agg(sqlstate || ' ' || message || E'\\n  CONTEXT: ' || coalesce(context, ''), E'\\n') FROM public.client_errors WHERE client = '$name'");
}

# The schema fingerprint, as text (what check() and drift() compare).
sub fingerprint
{
	my ($node, $db) = @_;
	return $node->safe_psql($db, q{
		SELECT string_agg(kind || ' ' || object || ' ' || definition, E'\n' ORDER BY kind, object)
		  FROM migrator.schema_fingerprint()
		 WHERE object NOT LIKE 'public.client%' AND object NOT LIKE 'public.run_client%'
		   AND object NOT LIKE 'public.old_step%' AND object NOT LIKE 'public.new_step%'});
}

1;
