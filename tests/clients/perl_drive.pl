#!/usr/bin/perl
# Drives ftpkit with Perl's Net::FTP (libnet; FTPS through IO::Socket::SSL)
# through the scenario tests/clientscenario.py describes, printing one JSON
# object a line for the test to check. Usage:
#   perl perl_drive.pl HOST PORT SECURITY DATA LOCALDIR
# SECURITY: plain, explicit (starttls, then prot P) or implicit;
# DATA: passive (PASV, or EPSV on IPv6) or active (PORT, or EPRT).

use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use Encode qw(decode encode);
use JSON::PP;
use Net::FTP;
use POSIX qw(strftime);

my ($host, $port, $security, $data, $local) = @ARGV;
my $json = JSON::PP->new->ascii->canonical;

sub emit {
    my ($step, %fields) = @_;
    print $json->encode({step => $step, %fields}), "\n";
}

my $ftp;

sub check {
    my ($what, $ok) = @_;
    emit('error', what => $what, detail => $ftp->message) unless $ok;
    return $ok;
}

sub bytes { encode('UTF-8', shift) }
sub text { defined $_[0] ? decode('UTF-8', $_[0]) : undef }

sub slurp {
    my $path = shift;
    open my $in, '<:raw', $path or die "$path: $!";
    local $/;
    my $bytes = <$in>;
    return defined $bytes ? $bytes : '';
}

sub spew {
    my ($path, $bytes) = @_;
    open my $out, '>:raw', $path or die "$path: $!";
    print $out $bytes;
    close $out;
}

sub day { defined $_[0] ? strftime('%Y-%m-%d %H:%M', gmtime $_[0]) : undef }

$ftp = Net::FTP->new($host, Port => $port, Timeout => 20,
                     Passive => $data eq 'passive',
                     SSL => $security eq 'implicit', SSL_verify_mode => 0)
    or do { emit('fatal', detail => "$@"); exit 1 };
emit('connected', reply => $ftp->message);
if ($security eq 'explicit') {
    check('AUTH TLS', $ftp->starttls) or exit 1;
}
check('USER/PASS', $ftp->login('alice', 'secret')) or exit 1;
if ($security ne 'plain') {
    check('PROT P', $ftp->prot('P'));
}
check('TYPE I', $ftp->binary);
emit('features', mlst => $ftp->feature('MLST') ? JSON::PP::true
                                                : JSON::PP::false);

emit('rawlist', lines => [map { text($_) } $ftp->dir('seed')]);
emit('nlst', names => [map { text($_) } $ftp->ls('seed')]);

for my $name ('old.txt', 'name with spaces.txt', "[br] \x{fc} \x{20ac}.txt",
              'empty.txt', 'link.txt') {
    my $path = "$local/got.bin";
    check("RETR $name", $ftp->get(bytes("seed/$name"), $path));
    emit('get', name => $name, sha256 => sha256_hex(slurp($path)));
}
my $bigPath = "$local/big.bin";
check('RETR big.bin', $ftp->get('seed/big.bin', $bigPath));
my $big = slurp($bigPath);
emit('get', name => 'big.bin', sha256 => sha256_hex($big));

# get with WHERE: REST, then the rest appended to the local file.
my $partial = "$local/partial.bin";
spew($partial, substr($big, 0, 1000000));
check('REST/RETR', $ftp->get('seed/big.bin', $partial, 1000000));
emit('nbget', sha256 => sha256_hex(slurp($partial)));
emit('sizes', size => $ftp->size('seed/big.bin'),
     lastMod => day($ftp->mdtm('seed/old.txt')));

my $dir = bytes("up [x] \x{fc}");
check('MKD', $ftp->mkdir($dir));
check('CWD', $ftp->cwd($dir));
emit('pwd', path => text($ftp->pwd));
my $empty = "$local/empty.bin";
spew($empty, '');
check('STOR empty', $ftp->put($empty, 'empty.bin'));
check('STOR big', $ftp->put($bigPath, 'big.bin'));
my $hello = "$local/hello.txt";
spew($hello, "hello\n");
check('STOR odd', $ftp->put($hello, bytes("sp ace \x{20ac}.txt")));
my ($head, $tail) = ("$local/head.bin", "$local/tail.bin");
spew($head, substr($big, 0, 1000000));
spew($tail, substr($big, 1000000));
check('STOR head', $ftp->put($head, 'appended.bin'));
check('APPE', $ftp->append($tail, 'appended.bin'));
check('STOR head', $ftp->put($head, 'restarted.bin'));
$ftp->restart(1000000);
check('REST/STOR', $ftp->put($tail, 'restarted.bin'));
emit('size', appended => $ftp->size('appended.bin'),
     restarted => $ftp->size('restarted.bin'));
check('RNFR/RNTO', $ftp->rename(bytes("sp ace \x{20ac}.txt"),
                                'renamed [1].txt'));
emit('mfmt', code => $ftp->quot('MFMT', '20200102030405 renamed [1].txt'),
     reply => text($ftp->message));
emit('mdtm', lastMod => day($ftp->mdtm('renamed [1].txt')));
emit('chmod', code => $ftp->site('CHMOD 600 renamed [1].txt'));
check('MKD e', $ftp->mkdir('e'));
emit('emptylist', rawlist => [$ftp->dir('e')], nlst => [$ftp->ls('e')]);
check('RMD', $ftp->rmdir('e'));
check('DELE', $ftp->delete('empty.bin'));
check('CDUP', $ftp->cdup);
emit('uploaded', nlst => [map { text($_) } $ftp->ls($dir)]);
check('QUIT', $ftp->quit);
emit('done');
