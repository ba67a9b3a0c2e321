"""Open organisational-life bases (开放式组织生活基地) and their online booking that never overbooks."""
