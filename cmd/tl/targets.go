package main

import (
	"context"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
)

func (a *app) targetsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "targets", Short: "Show journeys' target lists"}
	cmd.AddCommand(a.targetsListCmd())
	return cmd
}

// checkJourney fails with a clear error when the journey does not exist, so
// that an empty listing always means "exists, but nothing yet".
func (a *app) checkJourney(ctx context.Context, id string) error {
	db, err := a.dynamo(ctx)
	if err != nil {
		return err
	}
	_, err = store.Journeys{DB: db, Table: a.table(resources.Journeys)}.Get(ctx, id)
	return a.explain(err, resources.Journeys.ID)
}

func (a *app) targetsListCmd() *cobra.Command {
	var journey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --journey ID",
		Short: "List a journey's targets, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			journey = strings.TrimSpace(journey)
			if err := a.checkJourney(ctx, journey); err != nil {
				return err
			}
			s := store.JourneyTargets{DB: a.db, Table: a.table(resources.JourneyTargets)}
			targets, _, err := s.List(ctx, journey, "", 0)
			if err != nil {
				return a.explain(err, resources.JourneyTargets.ID)
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
