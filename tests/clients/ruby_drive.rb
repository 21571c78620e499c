# Drives ftpkit with Ruby's Net::FTP (the net-ftp gem Debian's ruby
# ships) through the scenario tests/clientscenario.py describes, printing
# one JSON object a line for the test to check. Usage:
#   ruby ruby_drive.rb HOST PORT SECURITY DATA LOCALDIR
# SECURITY: plain or explicit (AUTH TLS, PBSZ 0 and PROT P, its data
# connections resuming the control connection's TLS session);
# DATA: passive (PASV, or EPSV on IPv6) or active (PORT, or EPRT).

require 'digest'
require 'json'
require 'net/ftp'

host, port, security, data, local = ARGV

def emit(step, fields = {})
  puts JSON.generate({ 'step' => step }.merge(fields), ascii_only: true)
  $stdout.flush
end

# Runs one step; a failed one prints an "error" event and gives nil.
def check(what)
  yield
rescue Net::FTPError, SystemCallError, IOError, OpenSSL::SSL::SSLError => e
  emit('error', 'what' => what, 'detail' => e.message.to_s.scrub)
  nil
end

def text(bytes)
  bytes.nil? ? nil : bytes.dup.force_encoding('UTF-8')
end

def day(time)
  time.nil? ? nil : time.utc.strftime('%Y-%m-%d %H:%M')
end

def sha(path)
  Digest::SHA256.file(path).hexdigest
end

options = { port: port.to_i, passive: data == 'passive',
            open_timeout: 20, read_timeout: 20 }
unless security == 'plain'
  options[:ssl] = { verify_mode: OpenSSL::SSL::VERIFY_NONE }
end
begin
  ftp = Net::FTP.new(host, options)
rescue StandardError => e
  emit('fatal', 'detail' => e.message.to_s.scrub)
  exit 1
end
emit('connected', 'reply' => text(ftp.last_response))
check('USER/PASS') { ftp.login('alice', 'secret') } or exit 1
ftp.binary = true
emit('features', 'mlst' => check('FEAT') { ftp.features }.to_a
                             .any? { |line| line.strip.start_with?('MLST') })

emit('rawlist', 'lines' => (check('LIST') { ftp.list('seed') } || [])
                           .map { |line| text(line) })
emit('nlst', 'names' => (check('NLST') { ftp.nlst('seed') } || [])
                        .map { |line| text(line) })
emit('mlsd', 'entries' => (check('MLSD') { ftp.mlsd('seed') } || []).map {
  |entry| [text(entry.pathname), entry.facts['size'], entry.facts['type'],
           day(entry.facts['modify'])]
})

got = File.join(local, 'got.bin')
['old.txt', 'name with spaces.txt', "[br] \u00fc \u20ac.txt", 'empty.txt',
 'link.txt', 'big.bin'].each do |name|
  check("RETR #{name}") { ftp.getbinaryfile("seed/#{name}", got) }
  emit('get', 'name' => name, 'sha256' => sha(got))
end
big = File.binread(got)

# retrbinary with an offset: REST (sent only with resume on), then RETR
# from there.
rest = +''
ftp.resume = true
check('REST/RETR') do
  ftp.retrbinary('RETR seed/big.bin', 65_536, 1_000_000) { |part| rest << part }
end
ftp.resume = false
emit('rest', 'offset' => 1_000_000, 'sha256' => Digest::SHA256.hexdigest(rest))

# resume: getbinaryfile continues the local file from its size (REST).
partial = File.join(local, 'partial.bin')
File.binwrite(partial, big[0, 1_000_000])
ftp.resume = true
check('REST/RETR resume') { ftp.getbinaryfile('seed/big.bin', partial) }
ftp.resume = false
emit('nbget', 'sha256' => sha(partial))
emit('sizes', 'size' => check('SIZE') { ftp.size('seed/big.bin') }.to_s,
     'lastMod' => day(check('MDTM') { ftp.mtime('seed/old.txt') }))

dir = "up [x] \u00fc"
check('MKD') { ftp.mkdir(dir) }
check('CWD') { ftp.chdir(dir) }
emit('pwd', 'path' => text(check('PWD') { ftp.pwd }))
files = { 'empty' => '', 'hello' => "hello\n", 'head' => big[0, 1_000_000],
          'tail' => big[1_000_000..], 'big' => big }
paths = files.to_h { |key, bytes| [key, File.join(local, "#{key}.bin")] }
files.each { |key, bytes| File.binwrite(paths[key], bytes) }
check('STOR empty') { ftp.putbinaryfile(paths['empty'], 'empty.bin') }
check('STOR big') { ftp.putbinaryfile(paths['big'], 'big.bin') }
check('STOR odd') { ftp.putbinaryfile(paths['hello'], "sp ace \u20ac.txt") }
check('STOR head') { ftp.putbinaryfile(paths['head'], 'appended.bin') }
check('APPE') do
  File.open(paths['tail'], 'rb') do |file|
    ftp.storbinary('APPE appended.bin', file, 65_536)
  end
end
# resume: putbinaryfile asks SIZE, then APPEs what follows it.
check('STOR head') { ftp.putbinaryfile(paths['head'], 'restarted.bin') }
ftp.resume = true
check('SIZE/APPE resume') { ftp.putbinaryfile(paths['big'], 'restarted.bin') }
ftp.resume = false
emit('size', 'appended' => check('SIZE') { ftp.size('appended.bin') }.to_s,
     'restarted' => check('SIZE') { ftp.size('restarted.bin') }.to_s)
check('RNFR/RNTO') { ftp.rename("sp ace \u20ac.txt", 'renamed [1].txt') }
emit('mfmt', 'code' => check('MFMT') {
  ftp.sendcmd('MFMT 20200102030405 renamed [1].txt')
}.to_s[0].to_i)
emit('mdtm', 'lastMod' => day(check('MDTM') { ftp.mtime('renamed [1].txt') }))
emit('chmod', 'code' => check('SITE CHMOD') {
  ftp.sendcmd('SITE CHMOD 600 renamed [1].txt')
}.to_s[0].to_i)
check('MKD e') { ftp.mkdir('e') }
emit('emptylist', 'rawlist' => check('LIST e') { ftp.list('e') },
     'nlst' => check('NLST e') { ftp.nlst('e') })
check('RMD') { ftp.rmdir('e') }
check('DELE') { ftp.delete('empty.bin') }
check('CDUP') { ftp.chdir('..') }
emit('uploaded', 'nlst' => (check('NLST') { ftp.nlst(dir) } || [])
                           .map { |name| text(name) })
check('QUIT') { ftp.quit }
emit('done')
