pip install 'ftpkit[sftp]'
install -d -m 700 /etc/ftpkit
ssh-keygen -q -t ed25519 -N '' -f /etc/ftpkit/gateway_key
python -m ftpkit.passwd /etc/ftpkit/users.toml alice --home alice --permissions list,read,write,append,delete,rename,mkdir,set-time
twistd -n ftpkit --listen tcp:2121:interface=127.0.0.1 --realm 'fsspec:sftp://ftpgw@files.example.com:22/srv/data?config=/etc/ftpkit/sftp.toml' --auth users:/etc/ftpkit/users.toml
