package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
)

func (a *app) loaderCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "loader", Short: "Show target loader records"}
	cmd.AddCommand(a.loaderListCmd())
	return cmd
}

func (a *app) loaderListCmd() *cobra.Command {
	var journey, request string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --journey ID | --request UUID",
		Short: "List the target loader records of a journey or of one ingest request",
		Long: `List target loader records: how each submitted target was matched and
processed, and why it failed. --journey lists a journey's records oldest
first; --request lists one request's records in submission order.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			journey, request = strings.TrimSpace(journey), strings.TrimSpace(request)
			if (journey == "") == (request == "") {
				return errors.New("give either --journey ID or --request UUID")
			}
			var records []domain.LoaderRecord
			if journey != "" {
				if err := a.checkJourney(ctx, journey); err != nil {
					return err
				}
			} else if _, err := a.dynamo(ctx); err != nil {
				return err
			}
			s := store.LoaderRecords{DB: a.db, Table: a.table(resources.LoaderRecords)}
			var err error
			if journey != "" {
				records, _, err = s.ListByJourney(ctx, journey, "", 0)
			} else {
				records, _, err = s.ListByRequest(ctx, request, "", 0)
			}
			if err != nil {
				return a.explain(err, resources.LoaderRecords.ID)
			}
			if asJSON {
				return printJSONList(a, records)
			}
			if len(records) == 0 {
				if journey != "" {
					a.printf("journey %s has no target loader records\n", journey)
				} else {
					a.printf("request %s has no target loader records\n", request)
				}
				return nil
			}
			header := []string{"INDEX", "SOURCE SYSTEM", "SUBMITTED", "ACCOUNT", "OUTCOME", "STATUS", "FAILURE REASON"}
			if journey != "" {
				header = append([]string{"REQUEST"}, header...)
			}
			rows := make([][]string, len(records))
			for i, r := range records {
				rows[i] = []string{strconv.Itoa(r.Index), r.SourceSystemID, submitted(r), r.Account,
					string(r.MatchingOutcome), string(r.ProcessingStatus), r.FailureReason}
				if journey != "" {
					rows[i] = append([]string{r.RequestUUID}, rows[i]...)
				}
			}
			return a.printTable(header, rows)
		},
	}
	cmd.Flags().StringVar(&journey, "journey", "", "journey id")
	cmd.Flags().StringVar(&request, "request", "", "ingest request UUID")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the records as a JSON array")
	cmd.MarkFlagsMutuallyExclusive("journey", "request")
	cmd.MarkFlagsOneRequired("journey", "request")
	return cmd
}

// submitted shows what a target was submitted with: account id and/or email.
func submitted(r domain.LoaderRecord) string {
	var parts []string
	if r.SubmittedAccountID != "" {
		parts = append(parts, r.SubmittedAccountID)
	}
	if r.SubmittedEmail != "" {
		parts = append(parts, r.SubmittedEmail)
	}
	return strings.Join(parts, " / ")
}
