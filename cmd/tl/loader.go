package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/manage"
)

func (a *app) loaderCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "loader", Short: "Import targets as target loader records, and show the records",
		Example: `  tl loader list --journey J-DEMO
  tl loader import --journey J-DEMO examples/targets.csv`}
	cmd.AddCommand(a.loaderListCmd(), a.loaderImportCmd())
	return cmd
}

func (a *app) loaderListCmd() *cobra.Command {
	var journey, request, outcome, status string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --journey ID [--request UUID] | --request UUID",
		Short: "List the target loader records of a journey or of one ingest request (admins)",
		Long: `List target loader records: how each submitted target was matched and
processed, and why it failed. --journey lists a journey's records oldest
first; --request lists one request's records in submission order (within
--journey when both are given). --matching-outcome and --processing-status
keep only records with that picklist value. For members of the admins group.`,
		Example: `  tl loader list --journey J-DEMO
  tl loader list --request 0d6f3b7e-2c1a-4f7e-9b8a-5c4d3e2f1a0b --json
  tl loader list --journey J-DEMO --processing-status failed__v`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			journey, request = strings.TrimSpace(journey), strings.TrimSpace(request)
			query := url.Values{}
			for k, v := range map[string]string{"matching_outcome": outcome, "processing_status": status} {
				if v = strings.TrimSpace(v); v != "" {
					query.Set(k, v)
				}
			}
			path := "/manage/requests/" + pathEscape(request) + "/loader-records"
			if journey != "" {
				path = "/manage/journeys/" + pathEscape(journey) + "/loader-records"
				if request != "" {
					query.Set("request_uuid", request)
				}
			}
			records, err := listAll(cmd.Context(), a, path, query,
				func(p manage.RecordPage) ([]domain.LoaderRecord, string) { return p.Records, p.NextCursor })
			if err != nil {
				return err
			}
			if asJSON {
				return printJSONList(a, records)
			}
			if len(records) == 0 {
				if journey != "" {
					a.printf("journey %s has no target loader records%s\n", journey, map[bool]string{true: " that match"}[len(query) > 0])
				} else {
					a.printf("request %s has no target loader records%s\n", request, map[bool]string{true: " that match"}[len(query) > 0])
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
	cmd.Flags().StringVar(&outcome, "matching-outcome", "", "only records of this matching_outcome__v (e.g. no_match__v)")
	cmd.Flags().StringVar(&status, "processing-status", "", "only records of this processing_status__v (e.g. failed__v)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the records as a JSON array")
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
