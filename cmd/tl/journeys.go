package main

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
)

func (a *app) journeysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "journeys", Short: "Create, change and show journeys",
		Example: `  tl journeys put --id J-DEMO --name "Cardiology webinar" --end 2030-06-30
  tl journeys list`}
	cmd.AddCommand(a.journeysPutCmd(), a.journeysGetCmd(), a.journeysListCmd())
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
	var id, name, end string
	var noEnd, asJSON bool
	cmd := &cobra.Command{
		Use:   "put --id ID [--name NAME] [--end YYYY-MM-DD | --no-end]",
		Short: "Create a journey, or change what is given of an existing one",
		Long: `Create a journey, or change an existing one. Only what is given changes:
--name renames it, --end sets its end date (its last day, UTC), --no-end
removes the end date. Creating a journey needs --name; it then has no end
date unless --end is given.`,
		Example: `  tl journeys put --id J-DEMO --name "Cardiology webinar" --end 2030-06-30
  tl journeys put --id J-DEMO --name "Cardiology webinar, autumn"   # the end date stays
  tl journeys put --id J-DEMO --no-end`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var change store.JourneyChange
			if cmd.Flags().Changed("name") {
				name = strings.TrimSpace(name)
				change.Name = &name
			}
			if cmd.Flags().Changed("end") {
				if end = strings.TrimSpace(end); end == "" {
					return usageErrorf("--end needs a date, YYYY-MM-DD; --no-end removes the end date")
				}
				change.EndDate = &end
			}
			if noEnd {
				none := ""
				change.EndDate = &none
			}
			if change.Name == nil && change.EndDate == nil {
				return usageErrorf("nothing to change: give --name, --end or --no-end")
			}
			s, err := a.journeysStore(cmd)
			if err != nil {
				return err
			}
			j, created, err := s.Save(cmd.Context(), strings.TrimSpace(id), change)
			if err != nil {
				return a.explain(err, resources.Journeys.ID)
			}
			if asJSON {
				return a.printJSON(j)
			}
			verb := "updated"
			if created {
				verb = "created"
			}
			a.printf("%s journey %s\n", verb, j.ID)
			a.printJourney(j)
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "journey id (required)")
	cmd.Flags().StringVar(&name, "name", "", "journey name (required to create a journey)")
	cmd.Flags().StringVar(&end, "end", "", "journey end date, its last day, YYYY-MM-DD (UTC)")
	cmd.Flags().BoolVar(&noEnd, "no-end", false, "remove the journey's end date")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the journey as JSON")
	cmd.MarkFlagsMutuallyExclusive("end", "no-end")
	requireFlag(cmd, "id")
	return cmd
}

func (a *app) journeysGetCmd() *cobra.Command {
	var id string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "get --id ID",
		Short:   "Show a journey",
		Example: `  tl journeys get --id J-DEMO --json`,
		Args:    cobra.NoArgs,
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

func (a *app) journeysListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List every journey, by id",
		Example: `  tl journeys list --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.journeysStore(cmd)
			if err != nil {
				return err
			}
			journeys, _, err := s.List(cmd.Context(), "", 0)
			if err != nil {
				return a.explain(err, resources.Journeys.ID)
			}
			slices.SortFunc(journeys, func(x, y domain.Journey) int { return cmp.Compare(x.ID, y.ID) })
			if asJSON {
				return printJSONList(a, journeys)
			}
			if len(journeys) == 0 {
				a.printf("stage %s has no journeys\n", a.stage)
				return nil
			}
			now := time.Now()
			rows := make([][]string, len(journeys))
			for i, j := range journeys {
				status := "open"
				if j.Ended(now) {
					status = "ended"
				}
				rows[i] = []string{j.ID, j.Name, j.EndDate, status}
			}
			return a.printTable([]string{"JOURNEY", "NAME", "END DATE", "STATUS"}, rows)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the journeys as a JSON array")
	return cmd
}

func (a *app) printJourney(j domain.Journey) {
	end := j.EndDate
	if end == "" {
		end = "none"
	}
	a.printf("journey_id: %s\nname: %s\nend_date: %s\n", j.ID, j.Name, end)
}
