#!/bin/sh
# Regenerates the test PKI of tests/it/trust.rs: a private CA, and a server
# certificate for 127.0.0.1 and localhost that it signs. Valid for 100 years,
# so the tests do not expire; the keys guard nothing but these tests.
# Run from this directory: sh generate.sh (OpenSSL 3).
set -eu
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 36500 -subj "/CN=katapult-core test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out server.pem -days 36500 \
    -extfile /dev/stdin <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
# The server key as PKCS#8, which rustls reads.
openssl pkcs8 -topk8 -nocrypt -in server.key -out server.key.pk8
mv server.key.pk8 server.key
rm -f server.csr ca.srl ca.key
