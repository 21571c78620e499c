<?php
// Drives ftpkit with PHP's ftp extension (what WordPress's FTP filesystem
// uses) through the scenario tests/clientscenario.py describes, printing
// one JSON object a line for the test to check. Usage:
//   php php_drive.php HOST PORT SECURITY DATA LOCALDIR
// SECURITY: plain or explicit (ftp_ssl_connect: AUTH TLS, then PROT P);
// DATA: passive (PASV, or EPSV on IPv6) or active (PORT, or EPRT).

[$host, $port, $security, $data, $local] = array_slice($argv, 1);

function emit($step, $fields = []) {
    echo json_encode(['step' => $step] + $fields,
                     JSON_UNESCAPED_SLASHES), "\n";
}

set_error_handler(function ($level, $message) use (&$lastWarning) {
    $lastWarning = $message;
    return true;
});

function check($what, $ok) {
    global $lastWarning;
    if ($ok === false) {
        emit('error', ['what' => $what, 'detail' => $lastWarning]);
    }
    $lastWarning = null;
    return $ok;
}

function day($stamp) {
    return $stamp < 0 ? null : gmdate('Y-m-d H:i', $stamp);
}

function mlsdEntries($entries) {
    $out = [];
    foreach ($entries ?: [] as $entry) {
        $when = DateTime::createFromFormat('YmdHis', $entry['modify'],
                                           new DateTimeZone('UTC'));
        $out[] = [$entry['name'],
                  isset($entry['size']) ? (int) $entry['size'] : null,
                  $entry['type'], $when ? $when->format('Y-m-d H:i') : null];
    }
    return $out;
}

function getBytes($ftp, $name, $resume = 0) {
    // A real file: ftp_fget seeks the stream to $resume first, which a
    // php://temp stream past its memory limit gets wrong.
    global $local;
    $path = tempnam($local, 'get');
    $handle = fopen($path, 'w+b');
    check("RETR $name", ftp_fget($ftp, $handle, $name, FTP_BINARY, $resume));
    fclose($handle);
    $bytes = file_get_contents($path);
    unlink($path);
    return substr($bytes, $resume);
}

function putBytes($ftp, $name, $bytes) {
    $handle = fopen('php://temp', 'w+b');
    fwrite($handle, $bytes);
    rewind($handle);
    check("STOR $name", ftp_fput($ftp, $name, $handle, FTP_BINARY));
    fclose($handle);
}

$ftp = $security === 'explicit'
    ? ftp_ssl_connect($host, (int) $port, 20)
    : ftp_connect($host, (int) $port, 20);
if ($ftp === false) {
    emit('fatal', ['detail' => $lastWarning]);
    exit(1);
}
emit('connected');
if (!check('USER/PASS', ftp_login($ftp, 'alice', 'secret'))) {
    exit(1);
}
check('PASV', ftp_pasv($ftp, $data === 'passive'));
emit('features', ['lines' => ftp_raw($ftp, 'FEAT')]);

$raw = check('LIST seed', ftp_rawlist($ftp, 'seed'));
emit('rawlist', ['lines' => $raw]);
emit('mlsd', ['entries' => mlsdEntries(check('MLSD seed',
                                             ftp_mlsd($ftp, 'seed')))]);
emit('nlst', ['names' => check('NLST seed', ftp_nlist($ftp, 'seed'))]);

foreach (['old.txt', 'name with spaces.txt', "[br] \u{fc} \u{20ac}.txt",
          'empty.txt', 'link.txt'] as $name) {
    emit('get', ['name' => $name,
                 'sha256' => hash('sha256', getBytes($ftp, "seed/$name"))]);
}
$big = getBytes($ftp, 'seed/big.bin');
emit('get', ['name' => 'big.bin', 'sha256' => hash('sha256', $big)]);
emit('rest', ['offset' => 1000000, 'sha256' => hash('sha256',
    getBytes($ftp, 'seed/big.bin', 1000000))]);
emit('sizes', ['size' => ftp_size($ftp, 'seed/big.bin'),
               'lastMod' => day(ftp_mdtm($ftp, 'seed/old.txt'))]);

// ftp_nb_get resuming a local file cut after 1 MB.
$partial = "$local/partial.bin";
file_put_contents($partial, substr($big, 0, 1000000));
$state = ftp_nb_get($ftp, $partial, 'seed/big.bin', FTP_BINARY,
                    FTP_AUTORESUME);
while ($state === FTP_MOREDATA) {
    $state = ftp_nb_continue($ftp);
}
check('ftp_nb_get', $state === FTP_FINISHED ? true : false);
emit('nbget', ['sha256' => hash_file('sha256', $partial)]);

$dir = "up [x] \u{fc}";
check('MKD', ftp_mkdir($ftp, $dir));
check('CWD', ftp_chdir($ftp, $dir));
emit('pwd', ['path' => ftp_pwd($ftp)]);
check('ALLO', ftp_alloc($ftp, strlen($big), $allocReply));
emit('alloc', ['reply' => $allocReply]);
putBytes($ftp, 'empty.bin', '');
$bigPath = "$local/big.bin";
file_put_contents($bigPath, $big);
check('ftp_put', ftp_put($ftp, 'big.bin', $bigPath, FTP_BINARY));
putBytes($ftp, "sp ace \u{20ac}.txt", "hello\n");
putBytes($ftp, 'appended.bin', substr($big, 0, 1000000));
$tailPath = "$local/tail.bin";
file_put_contents($tailPath, substr($big, 1000000));
check('APPE', ftp_append($ftp, 'appended.bin', $tailPath, FTP_BINARY));
// ftp_put resuming: the server's size says where to start.
putBytes($ftp, 'restarted.bin', substr($big, 0, 1000000));
check('ftp_put resume', ftp_put($ftp, 'restarted.bin', $bigPath,
                                FTP_BINARY, FTP_AUTORESUME));
emit('size', ['appended' => ftp_size($ftp, 'appended.bin'),
              'restarted' => ftp_size($ftp, 'restarted.bin')]);
check('RNFR/RNTO', ftp_rename($ftp, "sp ace \u{20ac}.txt",
                              'renamed [1].txt'));
emit('mfmt', ['reply' => ftp_raw($ftp,
                                 'MFMT 20200102030405 renamed [1].txt')]);
emit('mdtm', ['lastMod' => day(ftp_mdtm($ftp, 'renamed [1].txt'))]);
emit('chmod', ['mode' => check('SITE CHMOD',
                               ftp_chmod($ftp, 0600, 'renamed [1].txt'))]);
check('MKD e', ftp_mkdir($ftp, 'e'));
emit('emptylist', ['mlsd' => mlsdEntries(ftp_mlsd($ftp, 'e')),
                   'nlst' => ftp_nlist($ftp, 'e'),
                   'rawlist' => ftp_rawlist($ftp, 'e')]);
check('RMD', ftp_rmdir($ftp, 'e'));
check('DELE', ftp_delete($ftp, 'empty.bin'));
check('CDUP', ftp_cdup($ftp));
emit('uploaded', ['mlsd' => mlsdEntries(ftp_mlsd($ftp, $dir))]);
check('QUIT', ftp_close($ftp));
emit('done');
