# docs/design.md draws the modules of src/ and their include arrows.  This
# test holds the picture true: the arrow list must equal the `#include "x.h"`
# lines of src/*.c and src/*.h (an arrow a -> b when a.c or a.h includes b.h,
# b.h being a header of src/), every module must sit in one layer with every
# arrow pointing to a lower layer, and the includes must form no cycle.
# session.c and worker.c are leaves of their own kind: session.c includes no
# other module's header, and the worker calls back into nothing but
# session.c (and the parser of script.c).  No server is needed.
use strict;
use warnings;
use Test::More;

my $design = 'docs/design.md';
my $src = 'src';

# Headers every module includes; their arrows are not drawn.
my %common = map { $_ => 1 } qw(migrator compat);

open(my $fh, '<', $design) or die "cannot read $design: $!";
my @doc = <$fh>;
close $fh;

# The arrow list, between the include-arrows markers.
my (%drawn, @order, %layer);
my $in = 0;
for (@doc)
{
	if (/<!-- include-arrows:begin/) { $in = 1; next; }
	if (/<!-- include-arrows:end/) { $in = 0; next; }
	next unless $in;
	next if /^```/ || /^\s*$/;
	if (/^(\w+)\s*(?:->\s*(.*?))?\s*$/)
	{
		my ($from, $to) = ($1, $2 // '');
		die "$design: module $from listed twice" if exists $drawn{$from};
		$drawn{$from} = [ sort split /\s+/, $to ];
		push @order, $from;
	}
	else
	{
		die "$design: cannot read arrow line: $_";
	}
}
ok(@order > 0, 'design.md has an include-arrow list');

# The layers: "layer N   a  b  c".
for (@doc)
{
	next unless /^layer (\d+)\s+(.*?)\s*$/;
	my $n = $1;
	for my $m (split /\s+/, $2)
	{
		die "$design: module $m in two layers" if exists $layer{$m};
		$layer{$m} = $n;
	}
}

# The actual arrows.
my %actual;
opendir(my $dh, $src) or die "cannot read $src: $!";
my @files = sort grep { /\.[ch]$/ } readdir $dh;
closedir $dh;
my %header = map { s/\.h$//r => 1 } grep { /\.h$/ } @files;
for my $file (@files)
{
	my $module = $file =~ s/\.[ch]$//r;
	# migrator.h and compat.h are common; migrator.c is a module.
	next if $file =~ /\.h$/ && $common{$module};
	$actual{$module} //= {};
	open(my $f, '<', "$src/$file") or die "cannot read $src/$file: $!";
	while (<$f>)
	{
		next unless /^\s*#\s*include\s+"([\w]+)\.h"/;
		my $to = $1;
		next if $to eq $module || $common{$to} || !$header{$to};
		$actual{$module}{$to} = 1;
	}
	close $f;
}

for my $m (sort keys %actual)
{
	my @have = sort keys %{ $actual{$m} };
	if (!exists $drawn{$m})
	{
		fail("module $m is in the picture");
		next;
	}
	is(join(' ', @{ $drawn{$m} }), join(' ', @have),
		"arrows of $m match its includes");
}
for my $m (sort keys %drawn)
{
	ok(exists $actual{$m}, "drawn module $m exists in $src/");
}

# Layers: every module in one, every drawn arrow downwards.
for my $m (sort keys %drawn)
{
	ok(exists $layer{$m}, "module $m has a layer");
	for my $to (@{ $drawn{$m} })
	{
		ok(defined $layer{$m} && defined $layer{$to} && $layer{$to} < $layer{$m},
			"arrow $m -> $to points to a lower layer");
	}
}
for my $m (sort keys %layer)
{
	ok(exists $drawn{$m}, "layered module $m is in the arrow list");
}

# No cycle in the actual includes (depth-first search).
my %state;    # 1: on the stack, 2: done
my @cycle;
my $visit;
$visit = sub {
	my ($m, @path) = @_;
	return if ($state{$m} // 0) == 2;
	if (($state{$m} // 0) == 1)
	{
		@cycle = (@path, $m) unless @cycle;
		return;
	}
	$state{$m} = 1;
	$visit->($_, @path, $m) for sort keys %{ $actual{$m} // {} };
	$state{$m} = 2;
};
$visit->($_) for sort keys %actual;
is(join(' -> ', @cycle), '', 'the includes of src/ form no cycle');

# The leaves the design relies on.
is(join(' ', sort keys %{ $actual{session} // {} }), '',
	'session.c includes no other module');
is(join(' ', sort keys %{ $actual{worker} // {} }), 'script session',
	'the worker depends only on script.c and session.c');

# PG_VERSION_NUM only in compat.h.
my @version_tests;
for my $file (@files)
{
	next if $file eq 'compat.h';
	open(my $f, '<', "$src/$file") or die;
	while (<$f>)
	{
		push @version_tests, "$file:$." if /PG_VERSION_NUM/;
	}
	close $f;
}
is(join(', ', @version_tests), '', 'PG_VERSION_NUM is tested only in compat.h');

# Every .c file includes migrator.h (and so compat.h) right after postgres.h.
for my $file (grep { /\.c$/ } @files)
{
	open(my $f, '<', "$src/$file") or die;
	my @inc = grep { /^\s*#\s*include\s+"/ } <$f>;
	close $f;
	my ($first) = map { /"([^"]+)"/ } $inc[0] // '';
	ok($first eq 'postgres.h' && grep({ /"migrator\.h"/ } @inc),
		"$file includes postgres.h first and migrator.h");
}

done_testing();
