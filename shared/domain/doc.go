// Package domain holds Target Loader's types and rules: tokens, expiry options,
// payload validation and account matching. It imports nothing from AWS.
package domain
