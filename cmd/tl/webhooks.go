package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/manage"
)

func (a *app) webhooksCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "webhooks", Short: "Show completion webhooks' deliveries (admins, signed in)",
		Example: "  tl webhooks failures --journey J-DEMO"}
	cmd.AddCommand(a.webhooksListCmd("failures", domain.DeliveryUndelivered, "List a journey's webhooks not delivered: retrying, or given up (failed)"),
		a.webhooksListCmd("list", "", "List a journey's webhooks and their attempts, oldest request first"))
	return cmd
}

func (a *app) webhooksListCmd(use, status, short string) *cobra.Command {
	var journey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     use + " --journey ID",
		Short:   short,
		Example: "  tl webhooks " + use + " --journey J-DEMO\n  tl webhooks " + use + " --journey J-DEMO --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			query := url.Values{}
			if status != "" {
				query.Set("status", status)
			}
			deliveries, err := listAll(cmd.Context(), a, "/manage/journeys/"+pathEscape(journey)+"/webhook-deliveries", query,
				func(p manage.DeliveryPage) ([]domain.WebhookDelivery, string) { return p.Deliveries, p.NextCursor })
			if err != nil {
				return err
			}
			if asJSON {
				return printJSONList(a, deliveries)
			}
			if len(deliveries) == 0 {
				if status != "" {
					a.printf("journey %s has no undelivered webhooks\n", journey)
				} else {
					a.printf("journey %s has no webhooks\n", journey)
				}
				return nil
			}
			rows := make([][]string, len(deliveries))
			for i, d := range deliveries {
				last, next := "", ""
				if n := len(d.Attempts); n > 0 {
					at := d.Attempts[n-1]
					last = at.Error
					if last == "" {
						last = "HTTP " + strconv.Itoa(at.StatusCode)
					}
				}
				if d.NextAttempt != nil {
					next = formatTime(*d.NextAttempt)
				}
				rows[i] = []string{d.RequestUUID, d.Status, strconv.Itoa(len(d.Attempts)), next, d.CallbackURL, strings.ReplaceAll(last, "\n", " ")}
			}
			return a.printTable([]string{"REQUEST", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "CALLBACK URL", "LAST RESULT"}, rows)
		},
	}
	cmd.Flags().StringVar(&journey, "journey", "", "journey id (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the deliveries, with every attempt, as a JSON array")
	requireFlag(cmd, "journey")
	return cmd
}
