// Package secret is the Secrets Manager adapter: the webhook master key,
// read once per process on first use and kept in memory only.
package secret

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/targetloader/targetloader/shared/domain"
)

// SecretsManager is the part of *secretsmanager.Client the adapter uses.
type SecretsManager interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretsManager = (*secretsmanager.Client)(nil)

// WebhookKeys derives tokens' webhook signing keys from the master key in
// the secret SecretID. The master key is read on first use, not at cold
// start (a cold start makes no network call), and then kept for the life
// of the process; a failed read is tried again on the next use.
type WebhookKeys struct {
	SM       SecretsManager
	SecretID string

	mu     sync.Mutex
	master []byte
}

// Key is token tokenID's webhook signing key.
func (k *WebhookKeys) Key(ctx context.Context, tokenID string) ([]byte, error) {
	master, err := k.masterKey(ctx)
	if err != nil {
		return nil, err
	}
	return domain.WebhookKey(master, tokenID), nil
}

func (k *WebhookKeys) masterKey(ctx context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.master != nil {
		return k.master, nil
	}
	out, err := k.SM.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.SecretID)})
	if err != nil {
		return nil, fmt.Errorf("read the webhook master key: %w", err)
	}
	master := []byte(aws.ToString(out.SecretString))
	if len(master) == 0 {
		master = out.SecretBinary
	}
	if len(master) < domain.MinMasterKeyBytes {
		return nil, fmt.Errorf("the webhook master key in %s is %d bytes; at least %d are needed", k.SecretID, len(master), domain.MinMasterKeyBytes)
	}
	k.master = master
	return master, nil
}
