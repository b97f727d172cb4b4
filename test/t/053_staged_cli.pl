# The client pushes staged changes from a migration directory: an up
# script with a "-- migrator:stage" line is registered by migrator.stage(),
# its conversions read from "-- migrator:up" and "-- migrator:down" lines;
# pushing it again changes nothing; a staged change with a down script of
# its own is refused with a hint.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use lib 'test/lib';
use MigratorTest;

my $node = migrator_node('staged_cli');
my $dir = PostgreSQL::Test::Utils::tempdir . '/db';
mkdir $dir or die "mkdir $dir: $!";

sub cli
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'migrator', '-d', $node->connstr('postgres'), @_ ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub sql { $node->safe_psql('postgres', @_) }

sub write_file
{
	my ($name, $text) = @_;
	open(my $fh, '>', "$dir/$name") or die "cannot write $dir/$name: $!";
	print $fh $text;
	close($fh);
}

write_file('20240101000000_create_orders.sql', <<'EOF');
-- migrate:up
CREATE SCHEMA app;
CREATE TABLE app.orders (id int PRIMARY KEY, amount int NOT NULL, note text);
INSERT INTO app.orders SELECT g, g, 'n' || g FROM generate_series(1, 20) g;

-- migrate:down
DROP SCHEMA app CASCADE;
EOF
my ($rc, $out, $err) = cli('push', $dir);
is($rc, 0, 'push the table') or diag($err);
($rc, $out, $err) = cli('deploy');
is($rc, 0, 'deploy it') or diag($err);

write_file('20240102000000_amount_numeric.sql', <<'EOF');
-- migrate:up
-- migrator:stage
-- migrator:up amount::numeric(12,2)
-- migrator:down round(amount)::int
ALTER TABLE app.orders ALTER COLUMN amount TYPE numeric(12,2);

-- migrate:down
EOF
($rc, $out, $err) = cli('push', $dir);
is($rc, 0, 'push a staged change') or diag($err);
like($out, qr/^ *20240102000000 .*\| staged .*\| new /m, 'it is registered as kind staged');
is(sql("SELECT format('%s|%s|%s', up, down, state) FROM migrator.staged_changes"),
	'amount::numeric(12,2)|round(amount)::int|pending', 'its conversions come from the marker lines');

($rc, $out, $err) = cli('push', $dir);
is($rc, 0, 'push it again');
like($out, qr/^ *20240102000000 .*\| unchanged /m, 'an identical staged change is unchanged');

($rc, $out, $err) = cli('deploy');
is($rc, 0, 'deploy expands it') or diag($err);
is(sql("SELECT stage FROM migrator.status() WHERE version = '20240102000000'"), 'expanded',
	'the change is in flight: the table existed before the call');
is(sql("SELECT pg_typeof(amount) FROM app_20240102000000.orders WHERE id = 3"), 'numeric',
	'the new version sees the new shape');
is(sql("SELECT pg_typeof(amount) FROM app_20240101000000.orders WHERE id = 3"), 'integer',
	'the old version the old one');

write_file('20240103000000_note_not_null.sql', <<'EOF');
-- migrate:up
-- migrator:stage
-- migrator:up coalesce(note, '')
ALTER TABLE app.orders ALTER COLUMN note SET NOT NULL;

-- migrate:down
ALTER TABLE app.orders ALTER COLUMN note DROP NOT NULL;
EOF
($rc, $out, $err) = cli('push', $dir);
is($rc, 3, 'a staged change with a down script of its own is refused') or diag($err);
like($err, qr/^migrator: cannot register "[^"]*20240103000000_note_not_null.sql" \(version 20240103000000\): it is a staged change \("-- migrator:stage"\), whose down script is generated$/m,
	'the refusal names the file');
like($err, qr/^HINT:  Remove its down script, or the "-- migrator:stage" line/m, 'and says what to do');
is(sql("SELECT count(*) FROM migrator.migrations WHERE version = '20240103000000'"), 0, 'nothing was registered');

write_file('20240103000000_note_not_null.sql', <<'EOF');
-- migrate:up
-- migrator:stage
-- migrator:up coalesce(note, '')
ALTER TABLE app.orders ALTER COLUMN note SET STATISTICS 10;
EOF
($rc, $out, $err) = cli('push', $dir);
is($rc, 3, 'a statement stage() does not support is refused by the server') or diag($err);
like($err, qr/^migrator: cannot register "[^"]*20240103000000_note_not_null.sql"/m, 'with its file');
like($err, qr/cannot stage/, 'and the server\'s reason') or diag($err);

# push --import of a directory with a staged change: the staged one still
# goes through stage(), and the client reads import()'s columns only from
# import() (it read them from stage()'s row and crashed)
unlink "$dir/20240103000000_note_not_null.sql";
($rc, $out, $err) = cli('push', '--import', $dir);
is($rc, 0, 'push --import of a directory with a staged change') or diag($err);
like($err, qr/^imported 2 dbmate migrations from \S+: 0 new, 0 replaced, 2 unchanged/m, 'both unchanged, the run finished')
	or diag($err);

done_testing();
