package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
)

const (
	awsSecret = "aws-secret-do-not-leak"
	mskSecret = "msk-secret-do-not-leak"
	spbSecret = "spb-secret-do-not-leak"
	spbToken  = "spb-token-do-not-leak"
)

// loadRemotes loads a valid configuration plus vars, telling Load every
// variable's name as main does.
func loadRemotes(vars map[string]string) (Config, error) {
	all := map[string]string{"DATABASE_URL": "postgres://u@h/db"}
	var names []string
	for k, v := range vars {
		all[k] = v
	}
	for k := range all {
		names = append(names, k)
	}
	return LoadListed(env(all), names, parseURL)
}

// identityFile writes a fresh age identity with mode and returns its path
// and public key.
func identityFile(t *testing.T, mode os.FileMode) (string, string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(path, []byte(id.String()+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path, id.Recipient().String()
}

func TestRemotesAreRead(t *testing.T) {
	idPath, recipient := identityFile(t, 0o600)
	tests := []struct {
		name string
		give map[string]string
		want []Remote
	}{
		{
			name: "a bare URL with the AWS variables",
			give: map[string]string{"BACKUP_REMOTES": "s3://backups/pg/prod/", "AWS_ACCESS_KEY_ID": "AKIAAWS",
				"AWS_SECRET_ACCESS_KEY": awsSecret, "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "https://s3.example.com/"},
			want: []Remote{{Name: "remote", Bucket: "backups", Prefix: "pg/prod", Endpoint: "https://s3.example.com",
				Region: "eu-west-1", AccessKeyID: "AKIAAWS", SecretAccessKey: awsSecret, Addressing: "auto",
				Checksums: "when-required", Keep: Keep{Hourly: 24, Daily: 14, Weekly: 8, Monthly: 12}}},
		},
		{
			name: "two remotes with their own keys, endpoints and keep",
			give: map[string]string{
				"BACKUP_REMOTES":                      " msk=s3://pg-msk/a , spb=s3://pg-spb ",
				"AWS_ACCESS_KEY_ID":                   "AKIAAWS",
				"AWS_SECRET_ACCESS_KEY":               awsSecret,
				"BACKUP_REMOTE_KEEP":                  "daily=30,monthly=24",
				"BACKUP_REMOTE_MSK_ENDPOINT":          "https://s3.msk.example.ru",
				"BACKUP_REMOTE_MSK_REGION":            "ru-1",
				"BACKUP_REMOTE_MSK_ACCESS_KEY_ID":     "MSKKEY",
				"BACKUP_REMOTE_MSK_SECRET_ACCESS_KEY": mskSecret,
				"BACKUP_REMOTE_MSK_ADDRESSING":        "path",
				"BACKUP_REMOTE_MSK_IDENTITY":          idPath,
				"BACKUP_REMOTE_SPB_ENDPOINT":          "http://10.0.0.7:9000",
				"BACKUP_REMOTE_SPB_ACCESS_KEY_ID":     "SPBKEY",
				"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": spbSecret,
				"BACKUP_REMOTE_SPB_SESSION_TOKEN":     spbToken,
				"BACKUP_REMOTE_SPB_CHECKSUMS":         "when-supported",
				"BACKUP_REMOTE_SPB_KEEP":              "hourly=48, weekly=4",
				"BACKUP_AGE_RECIPIENTS":               recipient,
			},
			want: []Remote{
				{Name: "msk", Bucket: "pg-msk", Prefix: "a", Endpoint: "https://s3.msk.example.ru", Region: "ru-1",
					AccessKeyID: "MSKKEY", SecretAccessKey: mskSecret, Addressing: "path", Checksums: "when-required",
					Keep: Keep{Daily: 30, Monthly: 24}, Identity: idPath},
				{Name: "spb", Bucket: "pg-spb", Endpoint: "http://10.0.0.7:9000", AccessKeyID: "SPBKEY",
					SecretAccessKey: spbSecret, SessionToken: spbToken, Addressing: "auto", Checksums: "when-supported",
					Keep: Keep{Hourly: 48, Weekly: 4}},
			},
		},
		{
			name: "profiles: the remote's own, else AWS_PROFILE",
			give: map[string]string{"BACKUP_REMOTES": "a=s3://b-a,b=s3://b-b", "AWS_PROFILE": "backup",
				"BACKUP_REMOTE_A_PROFILE": "msk-writer"},
			want: []Remote{
				{Name: "a", Bucket: "b-a", Profile: "msk-writer", Addressing: "auto", Checksums: "when-required",
					Keep: Keep{Hourly: 24, Daily: 14, Weekly: 8, Monthly: 12}},
				{Name: "b", Bucket: "b-b", Profile: "backup", Addressing: "auto", Checksums: "when-required",
					Keep: Keep{Hourly: 24, Daily: 14, Weekly: 8, Monthly: 12}},
			},
		},
		{
			name: "the remote's profile beats the AWS keys",
			give: map[string]string{"BACKUP_REMOTES": "x_1=s3://bucket", "AWS_ACCESS_KEY_ID": "AKIAAWS",
				"AWS_SECRET_ACCESS_KEY": awsSecret, "BACKUP_REMOTE_X_1_PROFILE": "p"},
			want: []Remote{{Name: "x_1", Bucket: "bucket", Profile: "p", Addressing: "auto", Checksums: "when-required",
				Keep: Keep{Hourly: 24, Daily: 14, Weekly: 8, Monthly: 12}}},
		},
		{
			name: "no remotes",
			give: map[string]string{"BACKUP_REMOTE_KEEP": "daily=3", "AWS_REGION": "us-east-2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadRemotes(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Remotes, tt.want) {
				t.Errorf("got  %v\nwant %v", c.Remotes, tt.want)
			}
		})
	}
}

// Every bad remote setting is named, with what is wrong, all at once, and
// no secret is ever in the text.
func TestBadRemotesAreRefused(t *testing.T) {
	idOpen, _ := identityFile(t, 0o644)
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := "msk=s3://bucket/p"
	tests := []struct {
		name string
		give map[string]string
		want map[string]string // variable → a fragment of its problem
	}{
		{"upper-case name", map[string]string{"BACKUP_REMOTES": "MSK=s3://bucket", "BACKUP_REMOTE_MSK_REGION": "ru-1"},
			map[string]string{"BACKUP_REMOTES": `"MSK" is not a remote name`}},
		{"name too long", map[string]string{"BACKUP_REMOTES": strings.Repeat("a", 33) + "=s3://bucket"},
			map[string]string{"BACKUP_REMOTES": "at most 32"}},
		{"local", map[string]string{"BACKUP_REMOTES": "local=s3://bucket"},
			map[string]string{"BACKUP_REMOTES": "local names BACKUP_DIR's copies"}},
		{"two bare URLs", map[string]string{"BACKUP_REMOTES": "s3://bucket1,s3://bucket2"},
			map[string]string{"BACKUP_REMOTES": "remote remote is named twice"}},
		{"same place twice", map[string]string{"BACKUP_REMOTES": "a=s3://bucket/p,b=s3://bucket/p/"},
			map[string]string{"BACKUP_REMOTES": "remotes a and b are the same bucket and prefix"}},
		{"no bucket", map[string]string{"BACKUP_REMOTES": "msk=s3:///p"},
			map[string]string{"BACKUP_REMOTES": `"" is not a bucket name`}},
		{"not s3", map[string]string{"BACKUP_REMOTES": "msk=https://bucket/p"},
			map[string]string{"BACKUP_REMOTES": "is not s3://bucket/prefix"}},
		{"credentials in the URL", map[string]string{"BACKUP_REMOTES": "s3://AKIA:" + awsSecret + "@bucket"},
			map[string]string{"BACKUP_REMOTES": "credentials do not belong in a URL"}},
		{"prefix climbs out", map[string]string{"BACKUP_REMOTES": "s3://bucket/a/../b"},
			map[string]string{"BACKUP_REMOTES": `".." segment`}},
		{"endpoint not http", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_ENDPOINT": "ftp://host"},
			map[string]string{"BACKUP_REMOTE_MSK_ENDPOINT": "not an http(s) URL"}},
		{"endpoint with credentials", map[string]string{"BACKUP_REMOTES": ok, "AWS_ENDPOINT_URL": "https://k:" + awsSecret + "@host"},
			map[string]string{"AWS_ENDPOINT_URL": "credentials do not belong"}},
		{"region", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_REGION": "ru 1"},
			map[string]string{"BACKUP_REMOTE_MSK_REGION": "not a region"}},
		{"access key without secret", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_ACCESS_KEY_ID": "K"},
			map[string]string{"BACKUP_REMOTE_MSK_SECRET_ACCESS_KEY": "required with BACKUP_REMOTE_MSK_ACCESS_KEY_ID"}},
		{"secret without access key", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_SECRET_ACCESS_KEY": mskSecret},
			map[string]string{"BACKUP_REMOTE_MSK_ACCESS_KEY_ID": "required with BACKUP_REMOTE_MSK_SECRET_ACCESS_KEY"}},
		{"token alone", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_SESSION_TOKEN": spbToken},
			map[string]string{"BACKUP_REMOTE_MSK_SESSION_TOKEN": "needs BACKUP_REMOTE_MSK_ACCESS_KEY_ID"}},
		{"keys and profile", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_ACCESS_KEY_ID": "K",
			"BACKUP_REMOTE_MSK_SECRET_ACCESS_KEY": mskSecret, "BACKUP_REMOTE_MSK_PROFILE": "p"},
			map[string]string{"BACKUP_REMOTE_MSK_PROFILE": "choose the keys or the profile"}},
		{"AWS secret without its key", map[string]string{"BACKUP_REMOTES": ok, "AWS_SECRET_ACCESS_KEY": awsSecret},
			map[string]string{"AWS_ACCESS_KEY_ID": "required with AWS_SECRET_ACCESS_KEY"}},
		{"addressing", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_ADDRESSING": "dns"},
			map[string]string{"BACKUP_REMOTE_MSK_ADDRESSING": "not one of auto, path, virtual"}},
		{"checksums", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_CHECKSUMS": "crc32"},
			map[string]string{"BACKUP_REMOTE_MSK_CHECKSUMS": "not one of when-required, when-supported"}},
		{"keep: unknown tier", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_KEEP": "yearly=3"},
			map[string]string{"BACKUP_REMOTE_MSK_KEEP": `"yearly=3" is not tier=count`}},
		{"keep: out of range", map[string]string{"BACKUP_REMOTE_KEEP": "hourly=8761"},
			map[string]string{"BACKUP_REMOTE_KEEP": "hourly=8761 is not a whole number from 0 to 8760"}},
		{"keep: twice", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_KEEP": "daily=1,daily=2"},
			map[string]string{"BACKUP_REMOTE_MSK_KEEP": "daily given twice"}},
		{"keep: nothing", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_KEEP": "daily=0"},
			map[string]string{"BACKUP_REMOTE_MSK_KEEP": "keeps no tier"}},
		{"identity others can read", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_IDENTITY": idOpen},
			map[string]string{"BACKUP_REMOTE_MSK_IDENTITY": "chmod 600"}},
		{"identity missing", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_IDENTITY": "/nonexistent/key.txt"},
			map[string]string{"BACKUP_REMOTE_MSK_IDENTITY": "no such file"}},
		{"CA bundle without a certificate", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_CA_BUNDLE": notPEM},
			map[string]string{"BACKUP_REMOTE_MSK_CA_BUNDLE": "holds no PEM certificate"}},
		{"a remote not configured", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_SPB_REGION": "ru-2"},
			map[string]string{"BACKUP_REMOTE_SPB_REGION": "set, but no remote spb in BACKUP_REMOTES"}},
		{"a remote's secret without remotes", map[string]string{"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": spbSecret},
			map[string]string{"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": "set, but no remote spb"}},
		{"a misspelt setting", map[string]string{"BACKUP_REMOTES": ok, "BACKUP_REMOTE_MSK_ENDPONT": "https://h"},
			map[string]string{"BACKUP_REMOTE_MSK_ENDPONT": "not a setting"}},
		{"a private key as recipient", map[string]string{"BACKUP_AGE_RECIPIENTS": "AGE-SECRET-KEY-1QQQSECRETDONOTLEAK"},
			map[string]string{"BACKUP_AGE_RECIPIENTS": "this is a private key"}},
		{"a recipient that is no key", map[string]string{"BACKUP_AGE_RECIPIENTS": "age1zzzzzzzzzzzz"},
			map[string]string{"BACKUP_AGE_RECIPIENTS": "entry 1"}},
		{"local tiers out of range", map[string]string{"BACKUP_KEEP_HOURLY": "-1", "BACKUP_KEEP_WEEKLY": "521"},
			map[string]string{"BACKUP_KEEP_HOURLY": "0 to 8760", "BACKUP_KEEP_WEEKLY": "0 to 520"}},
	}
	everything := map[string]string{}
	wantAll := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadRemotes(tt.give)
			wantProblems(t, err, tt.want)
		})
		for k, v := range tt.give {
			if k != "BACKUP_REMOTES" {
				everything[k] = v
			}
		}
		for k := range tt.want {
			wantAll[k] = true
		}
	}
	// All at once: one configuration with most of the above wrong.
	t.Run("all at once", func(t *testing.T) {
		everything["BACKUP_REMOTES"] = "msk=s3://bucket/p,MSK=s3://x,s3://AKIA:" + awsSecret + "@b,spb=s3://bucket/p/"
		everything["BACKUP_REMOTE_MSK_SECRET_ACCESS_KEY"] = mskSecret
		delete(everything, "BACKUP_REMOTE_SPB_REGION")
		delete(everything, "BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY")
		_, err := loadRemotes(everything)
		for _, v := range []string{"BACKUP_REMOTES", "BACKUP_REMOTE_MSK_ENDPOINT", "AWS_ENDPOINT_URL", "BACKUP_REMOTE_MSK_REGION",
			"BACKUP_REMOTE_MSK_PROFILE", "BACKUP_REMOTE_MSK_ADDRESSING", "BACKUP_REMOTE_MSK_CHECKSUMS",
			"BACKUP_REMOTE_MSK_KEEP", "BACKUP_REMOTE_KEEP", "BACKUP_REMOTE_MSK_IDENTITY", "BACKUP_REMOTE_MSK_CA_BUNDLE",
			"BACKUP_REMOTE_MSK_ENDPONT", "BACKUP_AGE_RECIPIENTS", "BACKUP_KEEP_HOURLY", "BACKUP_KEEP_WEEKLY",
			"AWS_ACCESS_KEY_ID"} {
			if !strings.Contains(err.Error(), "\n  "+v+": ") {
				t.Errorf("no problem for %s in:\n%v", v, err)
			}
		}
		noSecrets(t, err.Error())
	})
}

// wantProblems checks that err lists exactly the variables of want, each
// with its fragment, and no secret.
func wantProblems(t *testing.T, err error, want map[string]string) {
	t.Helper()
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems for %v, got %v", want, err)
	}
	got := map[string]string{}
	for _, x := range p {
		got[x.Var] += x.Msg + "\n"
	}
	for v, frag := range want {
		if !strings.Contains(got[v], frag) {
			t.Errorf("%s: want %q in its problem, got %q", v, frag, got[v])
		}
	}
	for v := range got {
		if _, ok := want[v]; !ok {
			t.Errorf("unexpected problem for %s: %s", v, got[v])
		}
	}
	noSecrets(t, err.Error())
}

func noSecrets(t *testing.T, text string) {
	t.Helper()
	for _, s := range []string{awsSecret, mskSecret, spbSecret, spbToken, "SECRETDONOTLEAK"} {
		if strings.Contains(text, s) {
			t.Errorf("secret %q shown in:\n%s", s, text)
		}
	}
}

// The remotes' secret keys and session tokens, and the AWS ones, are
// secrets: the redactor hides them, the copy command never sees their
// variables, and printing the configuration masks them.
func TestRemoteSecretsAreKept(t *testing.T) {
	c, err := loadRemotes(map[string]string{
		"DATABASE_URL": "postgres://u:db-password-do-not-leak@h/db", "TELEGRAM_BOT_TOKEN": "123456:bot-token-do-not-leak",
		"BACKUP_REMOTES": "msk=s3://bucket-a,spb=s3://bucket-b", "AWS_ACCESS_KEY_ID": "AKIAAWS", "AWS_SECRET_ACCESS_KEY": awsSecret,
		"AWS_SESSION_TOKEN": "aws-token-do-not-leak", "BACKUP_REMOTE_SPB_ACCESS_KEY_ID": "SPB",
		"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": spbSecret, "BACKUP_REMOTE_SPB_SESSION_TOKEN": spbToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{awsSecret, "aws-token-do-not-leak", spbSecret, spbToken} {
		if !slices.Contains(c.Secrets(), s) {
			t.Errorf("Secrets() lacks %q", s)
		}
	}
	for _, v := range []string{"DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "BACKUP_REMOTE_MSK_SECRET_ACCESS_KEY",
		"BACKUP_REMOTE_MSK_SESSION_TOKEN", "BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY", "BACKUP_REMOTE_SPB_SESSION_TOKEN"} {
		if !slices.Contains(c.SecretVariables(), v) {
			t.Errorf("SecretVariables() lacks %s", v)
		}
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		printed := sprintf(format, c) + sprintf(format, c.Remotes)
		noSecrets(t, printed)
		for _, s := range []string{"aws-token-do-not-leak", "db-password-do-not-leak", "bot-token-do-not-leak"} {
			if strings.Contains(printed, s) {
				t.Errorf("%s shows %q", format, s)
			}
		}
	}
	// Without remotes, the AWS variables are the copy command's own.
	c, err = loadRemotes(map[string]string{"AWS_SECRET_ACCESS_KEY": awsSecret, "AWS_ACCESS_KEY_ID": "K"})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(c.SecretVariables(), "AWS_SECRET_ACCESS_KEY") || !slices.Contains(c.Secrets(), awsSecret) {
		t.Errorf("without remotes: SecretVariables %v; Secrets holds the AWS key: %v", c.SecretVariables(), slices.Contains(c.Secrets(), awsSecret))
	}
}

func TestLocalTiersDefaultToNone(t *testing.T) {
	c, err := loadRemotes(nil)
	if err != nil || c.KeepHourly != 0 || c.KeepWeekly != 0 || c.KeepDaily != 7 || c.KeepMonthly != 4 {
		t.Fatalf("local tiers: hourly %d weekly %d daily %d monthly %d, %v", c.KeepHourly, c.KeepWeekly, c.KeepDaily, c.KeepMonthly, err)
	}
	c, err = loadRemotes(map[string]string{"BACKUP_KEEP_HOURLY": "24", "BACKUP_KEEP_WEEKLY": "8"})
	if err != nil || c.KeepHourly != 24 || c.KeepWeekly != 8 {
		t.Fatalf("local tiers: hourly %d weekly %d, %v", c.KeepHourly, c.KeepWeekly, err)
	}
}

func TestParseKeep(t *testing.T) {
	tests := []struct {
		give    string
		want    Keep
		wantErr string
	}{
		{give: DefaultRemoteKeep, want: Keep{24, 14, 8, 12}},
		{give: " Daily = 3 ,", want: Keep{Daily: 3}},
		{give: "monthly=1200,hourly=8760,weekly=520,daily=3650", want: Keep{8760, 3650, 520, 1200}},
		{give: "", wantErr: "keeps no tier"},
		{give: "daily", wantErr: `"daily" is not tier=count`},
		{give: "daily=-1", wantErr: "daily=-1 is not a whole number from 0 to 3650"},
		{give: "weekly=521,monthly=x", wantErr: "weekly=521 is not a whole number from 0 to 520; monthly=x"},
		{give: "daily=1e3", wantErr: "daily=1e3 is not a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := ParseKeep(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKeep(%q) = %v, %v; want error %q", tt.give, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseKeep(%q) = %v, %v; want %v", tt.give, got, err, tt.want)
			}
			if back, _ := ParseKeep(got.String()); back != got {
				t.Errorf("String %q reads back as %v", got.String(), back)
			}
		})
	}
}

func sprintf(format string, v any) string { return fmt.Sprintf(format, v) }
