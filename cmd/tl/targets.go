package main

import (
	"sort"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/manage"
)

func (a *app) targetsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "targets", Short: "Show journeys' target lists (signed in)",
		Example: `  tl targets list --journey J-DEMO`}
	cmd.AddCommand(a.targetsListCmd())
	return cmd
}

func (a *app) targetsListCmd() *cobra.Command {
	var journey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --journey ID",
		Short: "List a journey's targets, oldest first",
		Example: `  tl targets list --journey J-DEMO
  tl targets list --journey J-DEMO --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			targets, err := listAll(cmd.Context(), a, "/manage/journeys/"+pathEscape(journey)+"/targets", nil,
				func(p manage.TargetPage) ([]domain.JourneyTarget, string) { return p.Targets, p.NextCursor })
			if err != nil {
				return err
			}
			sort.SliceStable(targets, func(i, j int) bool {
				if !targets[i].AddedAt.Equal(targets[j].AddedAt) {
					return targets[i].AddedAt.Before(targets[j].AddedAt)
				}
				return targets[i].AccountID < targets[j].AccountID
			})
			if asJSON {
				return printJSONList(a, targets)
			}
			if len(targets) == 0 {
				a.printf("journey %s has no targets\n", journey)
				return nil
			}
			rows := make([][]string, len(targets))
			for i, t := range targets {
				rows[i] = []string{t.AccountID, t.AddedVia, t.SourceSystemID, formatTime(t.AddedAt), t.RequestUUID}
			}
			return a.printTable([]string{"ACCOUNT", "ADDED VIA", "SOURCE SYSTEM", "ADDED AT", "REQUEST"}, rows)
		},
	}
	cmd.Flags().StringVar(&journey, "journey", "", "journey id (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the targets as a JSON array")
	requireFlag(cmd, "journey")
	return cmd
}
