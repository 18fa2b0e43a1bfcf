DROP TABLE review_item_links;
DROP TABLE review_items;
DROP TABLE round_actions;
