pip install 'ftpkit[s3]'
install -d -m 700 /etc/ftpkit
python -m ftpkit.passwd /etc/ftpkit/users.toml alice --home alice --permissions list,read,write,delete,rename,mkdir --quota 10000000000
twistd -n ftpkit --listen tcp:2121:interface=127.0.0.1 --realm 'fsspec:s3://example-bucket/ftp?config=/etc/ftpkit/s3.toml' --auth users:/etc/ftpkit/users.toml
