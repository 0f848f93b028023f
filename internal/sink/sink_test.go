package sink

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseOverrides(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "extensions", in: `{"extensions":{"team":"platform","env":"prod"}}`, want: map[string]string{"team": "platform", "env": "prod"}},
		{name: "no extensions", in: `{}`, want: nil},
		{name: "not json", in: `team=platform`, wantErr: "must be JSON"},
		{name: "unknown field", in: `{"extension":{"a":"b"}}`, wantErr: "must be JSON"},
		{name: "bad name", in: `{"extensions":{"Team":"x"}}`, wantErr: `extension "Team"`},
		{name: "replaces id", in: `{"extensions":{"id":"x"}}`, wantErr: `"id" would replace`},
		{name: "replaces type", in: `{"extensions":{"type":"x"}}`, wantErr: `"type" would replace`},
		{name: "replaces sequence", in: `{"extensions":{"sequence":"7"}}`, wantErr: `"sequence" would replace`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOverrides(tt.in)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCACertPool(t *testing.T) {
	if pool, err := CACertPool(""); pool != nil || err != nil {
		t.Errorf("empty: pool %v, err %v; want nil, nil", pool, err)
	}
	if _, err := CACertPool("not a certificate"); err == nil {
		t.Error("garbage: want an error")
	}
	pool, err := CACertPool(selfSignedPEM(t))
	if err != nil || pool == nil {
		t.Fatalf("pem: pool %v, err %v", pool, err)
	}
}

func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test-ca"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("err = %v, want one containing %q", err, want)
	}
}
