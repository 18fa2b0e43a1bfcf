DROP TABLE group_teams;
DROP TABLE team_groups;
