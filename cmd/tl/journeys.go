package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
)

func (a *app) journeysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "journeys", Short: "Create and show journeys"}
	cmd.AddCommand(a.journeysPutCmd(), a.journeysGetCmd())
	return cmd
}

func (a *app) journeysStore(cmd *cobra.Command) (store.Journeys, error) {
	db, err := a.dynamo(cmd.Context())
	if err != nil {
		return store.Journeys{}, err
	}
	return store.Journeys{DB: db, Table: a.table(resources.Journeys)}, nil
}

func (a *app) journeysPutCmd() *cobra.Command {
	var j domain.Journey
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "put --id ID --name NAME [--end YYYY-MM-DD]",
		Short: "Create or replace a journey",
		Long: `Create or replace a journey. --end is the journey's last day (UTC); without it
the journey has no end date.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j.ID, j.Name, j.EndDate = strings.TrimSpace(j.ID), strings.TrimSpace(j.Name), strings.TrimSpace(j.EndDate)
			if err := j.Validate(); err != nil {
				return err
			}
			s, err := a.journeysStore(cmd)
			if err != nil {
				return err
			}
			if err := s.Put(cmd.Context(), j); err != nil {
				return a.explain(err, resources.Journeys.ID)
			}
			if asJSON {
				return a.printJSON(j)
			}
			a.printf("saved journey %s\n", j.ID)
			a.printJourney(j)
			return nil
		},
	}
	cmd.Flags().StringVar(&j.ID, "id", "", "journey id (required)")
	cmd.Flags().StringVar(&j.Name, "name", "", "journey name (required)")
	cmd.Flags().StringVar(&j.EndDate, "end", "", "journey end date, its last day, YYYY-MM-DD (UTC)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the journey as JSON")
	requireFlag(cmd, "id", "name")
	return cmd
}

func (a *app) journeysGetCmd() *cobra.Command {
	var id string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get --id ID",
		Short: "Show a journey",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.journeysStore(cmd)
			if err != nil {
				return err
			}
			j, err := s.Get(cmd.Context(), strings.TrimSpace(id))
			if err != nil {
				return a.explain(err, resources.Journeys.ID)
			}
			if asJSON {
				return a.printJSON(j)
			}
			a.printJourney(j)
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "journey id (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the journey as JSON")
	requireFlag(cmd, "id")
	return cmd
}

func (a *app) printJourney(j domain.Journey) {
	end := j.EndDate
	if end == "" {
		end = "none"
	}
	a.printf("journey_id: %s\nname: %s\nend_date: %s\n", j.ID, j.Name, end)
}
